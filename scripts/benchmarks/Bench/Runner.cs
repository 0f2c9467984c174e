using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MnistCnn.Bench;

/// <summary>
/// Runs benchmark children (one process per measurement, so peak RSS is per run) and prints tables.
/// Children print one "RESULT {json}" line; everything else they print is passed through on failure only.
/// </summary>
internal static class Runner
{
    private static readonly string[] DefaultImpls = { "cmdlet", "trainer", "core-model", "bare", "bare-nchw", "pytorch", "pytorch-cl" };

    /// <summary>Same model, loop and thread count three ways, interleaved (A B C A B C ...), repeated.</summary>
    public static int Compare(Options o)
    {
        int repeats = o.Int("repeats", 3);
        int threads = o.Int("threads", Environment.ProcessorCount);
        var impls = o.Text("impls", string.Join(",", DefaultImpls)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var common = new List<string>
        {
            "--threads", Str(threads), "--batch-size", Str(o.Int("batch-size", 64)), "--device", o.Text("device", "cpu"),
        };
        // Default: one epoch over the first 12,800 training images (200 batches of 64), which every path can do
        // (the Trainer and the cmdlets train whole epochs); --batches N --warmup W times N batches after W instead.
        if (o.Has("batches")) common.AddRange(new[] { "--batches", Str(o.Int("batches", 200)), "--warmup", Str(o.Int("warmup", 20)), "--train-size", Str(o.Int("train-size", 60000)) });
        else common.AddRange(new[] { "--epochs", o.Text("epochs", "1"), "--train-size", Str(o.Int("train-size", 12800)) });
        if (!o.Has("no-eval")) common.AddRange(new[] { "--eval", "--eval-batch", Str(o.Int("eval-batch", 64)), "--eval-repeats", "2" });

        Header($"Throughput: tutorial CNN, RMSprop, batch {o.Int("batch-size", 64)}, {threads} threads, {repeats} interleaved repeats");
        var results = impls.ToDictionary(i => i, _ => new List<JsonElement>());
        var skipped = new Dictionary<string, string>();
        for (int r = 0; r < repeats; r++)
        {
            foreach (var impl in impls)
            {
                if (skipped.ContainsKey(impl)) continue;
                var (exe, args, why) = Child(impl, o);
                if (exe is null)
                {
                    skipped[impl] = why!;
                    Console.WriteLine($"  {impl,-10} skipped: {why}");
                    continue;
                }
                WaitForQuiet(o);
                var result = RunChild(exe, args.Concat(common).Concat(new[] { "--label", impl }));
                if (result is null)
                {
                    skipped[impl] = "the run failed (output above)";
                    continue;
                }
                results[impl].Add(result.Value);
                Console.WriteLine($"  round {r + 1} {impl,-10} {Num(result.Value, "imagesPerSec"),8:F0} images/s  {Num(result.Value, "imagesPerCpuSec"),8:F0} images/cpu-s  cpu x{Num(result.Value, "cpuUtilisation"):F2}  others {Num(result.Value, "otherCores"):F1} cores  peak RSS {Num(result.Value, "peakRssMiB"):F0} MiB");
            }
        }

        Console.WriteLine();
        var table = new StringBuilder();
        table.AppendLine("| path | images/s median | min..max | spread | images/cpu-s median | peak RSS MiB | test eval s | predict s | start→result s |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var impl in impls.Where(i => results[i].Count > 0))
        {
            var ips = results[impl].Select(e => Num(e, "imagesPerSec")).ToList();
            table.AppendLine(Invariant($"| {impl} | {Median(ips):F0} | {ips.Min():F0}..{ips.Max():F0} | {Spread(ips):P0} | {MedianOf(results[impl], "imagesPerCpuSec", "F0")} | {results[impl].Max(e => Num(e, "peakRssMiB")):F0} | {MedianOf(results[impl], "evalSeconds")} | {MedianOf(results[impl], "predictSeconds")} | {MedianOf(results[impl], "startToResultSeconds")} |"));
        }
        Console.Write(table);
        Console.WriteLine();
        // Ratios: of medians, and the median of same-round ratios (robust to load that drifts between rounds).
        foreach (var (a, b) in new[] { ("bare", "pytorch"), ("bare", "bare-nchw"), ("pytorch-cl", "pytorch"), ("core-model", "bare"), ("cmdlet", "pytorch"), ("cmdlet", "pytorch-cl"), ("cmdlet", "core-model"), ("trainer", "core-model") })
        {
            if (results.GetValueOrDefault(a)?.Count > 0 && results.GetValueOrDefault(b)?.Count > 0)
            {
                var ra = results[a].Select(e => Num(e, "imagesPerSec")).ToList();
                var rb = results[b].Select(e => Num(e, "imagesPerSec")).ToList();
                var paired = ra.Zip(rb, (x, y) => x / y).ToList();
                var ca = results[a].Select(e => Num(e, "imagesPerCpuSec")).ToList();
                var cb = results[b].Select(e => Num(e, "imagesPerCpuSec")).ToList();
                Console.WriteLine(Invariant($"  speed {a}/{b}: {Median(ra) / Median(rb):F2} (ratio of medians), {Median(paired):F2} (median of same-round ratios, {paired.Min():F2}..{paired.Max():F2}); per CPU-second {Median(ca) / Median(cb):F2}"));
            }
        }
        foreach (var (impl, why) in skipped) Console.WriteLine($"  {impl}: not measured: {why}");
        return 0;
    }

    /// <summary>Epoch time vs training-set size and vs batch size (one epoch each).</summary>
    public static int Scaling(Options o)
    {
        int threads = o.Int("threads", Environment.ProcessorCount);
        var impls = o.Text("impls", "bare").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = o.Ints("sizes", new[] { 10000, 30000, 60000 });
        var batchSizes = o.Ints("batch-sizes", new[] { 32, 64, 128, 256, 512, 1024 });
        int sizeBatch = o.Int("batch-size", 64);
        int batchSizeSet = o.Int("train-size", 10000);
        foreach (var impl in impls)
        {
            var (exe, args, why) = Child(impl, o);
            if (exe is null)
            {
                Console.WriteLine($"{impl}: skipped: {why}");
                continue;
            }
            Header($"Scaling ({impl}): one epoch, tutorial CNN, RMSprop, {threads} threads");
            Console.WriteLine($"| training images | batch | epoch s | images/s | s per 10k images | peak RSS MiB | other cores busy |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            var configs = sizes.Select(s => (s, sizeBatch)).Concat(batchSizes.Where(b => b != sizeBatch || !sizes.Contains(batchSizeSet)).Select(b => (batchSizeSet, b)));
            foreach (var (size, batch) in configs)
            {
                WaitForQuiet(o);
                var result = RunChild(exe, args.Concat(new[]
                {
                    "--epochs", "1", "--train-size", Str(size), "--batch-size", Str(batch), "--threads", Str(threads),
                    "--device", o.Text("device", "cpu"), "--label", impl,
                }));
                if (result is null) continue;
                double seconds = Num(result.Value, "trainSeconds");
                Console.WriteLine(Invariant($"| {size} | {batch} | {seconds:F2} | {size / seconds:F0} | {seconds * 10000 / size:F2} | {Num(result.Value, "peakRssMiB"):F0} | {Num(result.Value, "otherCores"):F1} |"));
            }
        }
        return 0;
    }

    /// <summary>
    /// The fast recipe (experiments/fast.yaml, or --spec FILE) over several seeds, one process each, through the cmdlets
    /// (Invoke-CnnExperiment in pwsh; --impl trainer: the module's Trainer from C#, no PowerShell, no files): test
    /// accuracy, training seconds (the epochs), and seconds from process start to the accuracy, per seed and median.
    /// The spec is run as written; only the seed and, when given, --threads override it.
    /// </summary>
    public static int Fast(Options o)
    {
        var seeds = o.Ints("seeds", new[] { 1, 2, 3 });
        var spec = Path.GetFullPath(o.Text("spec", Path.Combine("experiments", "fast.yaml")));
        var impl = o.Text("impl", "cmdlet");
        if (!File.Exists(spec))
        {
            Console.Error.WriteLine($"The spec {spec} does not exist (run from the repository root, or pass --spec FILE).");
            return 2;
        }
        var (exe, args, why) = impl switch
        {
            "cmdlet" => Child("cmdlet", o),
            "trainer" => Child("trainer", o),
            _ => (null, Array.Empty<string>(), $"--impl must be cmdlet or trainer, not '{impl}'"),
        };
        if (exe is null)
        {
            Console.Error.WriteLine($"fast: cannot run the {impl} path: {why}");
            return 2;
        }
        var threads = o.Has("threads") ? new[] { impl == "cmdlet" ? "--spec-threads" : "--threads", o.Text("threads", "1") } : Array.Empty<string>();
        Header($"Fast recipe: {spec} through {(impl == "cmdlet" ? "Invoke-CnnExperiment" : "the Trainer")}, {(o.Has("threads") ? o.Text("threads", "") + " threads" : "threads as the spec says")}, seeds {string.Join(',', seeds)}");
        var rows = new List<JsonElement>();
        foreach (var seed in seeds)
        {
            WaitForQuiet(o);
            var result = RunChild(exe, args.Concat(new[] { "--spec", spec, "--seed", Str(seed), "--label", "fast-" + impl }).Concat(threads));
            if (result is null) continue;
            rows.Add(result.Value);
            // CPU seconds: the Trainer's call (training and test evaluation), or Invoke-CnnExperiment's whole call.
            double cpu = impl == "cmdlet" ? Num(result.Value, "experimentCpuSeconds") : Num(result.Value, "cpuSeconds");
            Console.WriteLine(Invariant($"  seed {seed}: test accuracy {Num(result.Value, "testAccuracy"):P2}, training {Num(result.Value, "trainSeconds"):F2} s, process start to accuracy {Num(result.Value, "startToResultSeconds"):F2} s ({(impl == "cmdlet" ? "Invoke-CnnExperiment" : "Train()")} used {cpu:F2} CPU s), peak RSS {Num(result.Value, "peakRssMiB"):F0} MiB, load {Load()}"));
        }
        if (rows.Count == 0) return 1;
        var acc = rows.Select(r => Num(r, "testAccuracy")).ToList();
        var train = rows.Select(r => Num(r, "trainSeconds")).ToList();
        var start = rows.Select(r => Num(r, "startToResultSeconds")).ToList();
        Console.WriteLine(Invariant($"  median of {rows.Count}: test accuracy {Median(acc):P2} (min {acc.Min():P2}), training {Median(train):F2} s ({train.Min():F2}..{train.Max():F2}), process start to accuracy {Median(start):F2} s ({start.Min():F2}..{start.Max():F2})"));
        Console.WriteLine(Invariant($"  goal (99.0% median, none below 98.9%, under 4 s of training): accuracy {(Median(acc) >= 0.99 && acc.Min() >= 0.989 ? "met" : "not met")}, time {(Median(train) < 4 ? "met" : "not met")}"));
        return 0;
    }

    /// <summary>The command for one path; null with a reason when that path cannot run here.</summary>
    private static (string? Exe, IEnumerable<string> Args, string? Why) Child(string impl, Options o)
    {
        var scripts = ScriptsDirectory();
        switch (impl)
        {
            case "bare":
                return (Self(), new[] { "train" }, null);
            case "bare-nchw":
                return (Self(), new[] { "train", "--layout", "nchw" }, null);
            case "trainer":
                return (Self(), new[] { "trainer" }, null);
            case "core-model":
                return (Self(), new[] { "train", "--preset", "keras-seed" }, null);
            case "pytorch":
            case "pytorch-cl":
            {
                var python = o.Text("python", "/usr/bin/python3");
                if (!File.Exists(python)) return (null, Array.Empty<string>(), $"{python} not found (apt-get install python3-torch)");
                return (python, impl == "pytorch-cl"
                    ? new[] { Path.Combine(scripts, "torch_bench.py"), "--channels-last" }
                    : new[] { Path.Combine(scripts, "torch_bench.py") }, null);
            }
            case "cmdlet":
            {
                // pwsh from --pwsh, the PATH, or the repository's local tool (dotnet tool restore; dotnet pwsh).
                var pwsh = o.Text("pwsh") ?? FindOnPath("pwsh");
                var prefix = new List<string>();
                if (pwsh is null && RepoHasLocalPwsh(scripts))
                {
                    pwsh = FindOnPath("dotnet");
                    prefix.Add("pwsh");
                }
                if (pwsh is null) return (null, Array.Empty<string>(), "pwsh not found (dotnet tool restore, or put pwsh on the PATH, or pass --pwsh)");
                var module = o.Text("module") ?? Environment.GetEnvironmentVariable("MNISTCNN_MODULE");
                return (pwsh, prefix.Concat(new[] { "-NoProfile", "-NonInteractive", "-File", Path.Combine(scripts, "cmdlet_bench.ps1") })
                    .Concat(module is null ? Array.Empty<string>() : new[] { "--module", module }), null);
            }
            default:
                return (null, Array.Empty<string>(), $"unknown path '{impl}' (cmdlet, trainer, bare, bare-nchw, core-model, pytorch, pytorch-cl)");
        }
    }

    /// <summary>
    /// Waits (up to --quiet-wait seconds, default 60) until other processes use less than --quiet cores
    /// (default 0.5) over a one-second sample, so runs start on an idle machine where possible.
    /// </summary>
    private static void WaitForQuiet(Options o)
    {
        double limit = o.Double("quiet", 0.5);
        var deadline = DateTime.UtcNow.AddSeconds(o.Double("quiet-wait", 60));
        while (true)
        {
            double before = MachineLoad.BusySeconds();
            Thread.Sleep(1000);
            double others = MachineLoad.BusySeconds() - before;
            if (others < limit || DateTime.UtcNow > deadline) return;
        }
    }

    private static JsonElement? RunChild(string exe, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith("RESULT ", StringComparison.Ordinal) && process.ExitCode == 0)
            {
                return JsonDocument.Parse(line[7..]).RootElement.Clone();
            }
        }
        Console.WriteLine($"  FAILED ({process.ExitCode}): {exe} {string.Join(' ', psi.ArgumentList)}");
        Console.WriteLine(Tail(stdout + stderr.Result, 2000));
        return null;
    }

    internal static string Self() => Environment.ProcessPath!;

    private static string ScriptsDirectory()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "torch_bench.py"))) return d.FullName;
        }
        return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
    }

    private static bool RepoHasLocalPwsh(string scripts)
    {
        var manifest = Path.Combine(scripts, "..", "..", ".config", "dotnet-tools.json");
        return File.Exists(manifest) && File.ReadAllText(manifest).Contains("\"powershell\"", StringComparison.OrdinalIgnoreCase);
    }

    private static string? FindOnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries).Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists);

    private static void Header(string text)
    {
        Console.WriteLine();
        Console.WriteLine($"== {text} ({DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load {Load()})");
    }

    private static string Load()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    internal static double Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private static string MedianOf(List<JsonElement> rows, string name, string format = "F2")
    {
        var values = rows.Select(r => Num(r, name)).Where(v => !double.IsNaN(v)).ToList();
        return values.Count == 0 ? "-" : Median(values).ToString(format, CultureInfo.InvariantCulture);
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static double Spread(List<double> values) => (values.Max() - values.Min()) / Median(values);

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Tail(string text, int chars) => text.Length <= chars ? text : text[^chars..];
}
