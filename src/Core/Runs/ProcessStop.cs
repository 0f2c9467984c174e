using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MnistCnn.Core.Runs;

/// <summary>
/// Stops a child process the way a scheduler would: SIGTERM first (a training process then stops within a batch,
/// keeps its checkpoint and records KILLED), and only when it has not ended after a grace period, a kill of its tree.
/// </summary>
public static class ProcessStop
{
    private const int SigTerm = 15;

    /// <summary>Asks <paramref name="process"/> to stop, waits up to <paramref name="grace"/>, then kills its tree.</summary>
    public static void Gracefully(Process process, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (process.HasExited) return;
            if (OperatingSystem.IsWindows() || Kill(process.Id, SigTerm) != 0 || !process.WaitForExit(grace))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
    }

    // DllImport rather than LibraryImport: the generated stub would need unsafe code for one blittable call.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
