using System.Diagnostics;
using System.Globalization;

namespace MnistCnn.Bench;

internal static class ProcessStats
{
    /// <summary>Peak resident set size of this process in MiB (VmHWM from /proc/self/status), or -1 where unknown.</summary>
    public static double PeakRssMiB() => ReadStatusKiB("VmHWM") / 1024.0;

    public static double RssMiB() => ReadStatusKiB("VmRSS") / 1024.0;

    /// <summary>Seconds since the OS started this process (includes runtime start-up and assembly loading).</summary>
    public static double SecondsSinceProcessStart() => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;

    public static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static double ReadStatusKiB(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(key + ":", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return double.Parse(parts[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return -1024;
    }
}

/// <summary>
/// How busy the rest of the machine is: CPU time used by all processes (from /proc/stat) minus this process's own,
/// per second of wall time, so a result can say whether other workers competed for the cores while it ran.
/// </summary>
internal sealed class MachineLoad
{
    private readonly double busyStart;
    private readonly double ownStart;
    private readonly Stopwatch watch = Stopwatch.StartNew();

    public MachineLoad()
    {
        busyStart = BusySeconds();
        ownStart = ProcessStats.CpuSeconds();
    }

    /// <summary>Average number of cores that other processes kept busy since construction.</summary>
    public double OtherCores()
    {
        double wall = watch.Elapsed.TotalSeconds;
        double others = BusySeconds() - busyStart - (ProcessStats.CpuSeconds() - ownStart);
        return Math.Max(0, others / wall);
    }

    /// <summary>Busy seconds of all CPUs together (user + nice + system + irq + softirq + steal).</summary>
    public static double BusySeconds()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            double busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f.Length > 7 ? f[7] : 0);
            return busy / 100.0; // USER_HZ is 100 on Linux
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
