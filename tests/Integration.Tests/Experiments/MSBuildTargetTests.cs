using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace MnistCnn.Integration.Tests.Experiments;

/// <summary>
/// experiments/Experiments.proj end to end: it builds src/Cmdlets, starts PowerShell (the repository's local
/// 'dotnet pwsh' tool: run 'dotnet tool restore' once) and trains a tiny spec (2000/500 images, 1 epoch) on the
/// real MNIST files (MNIST_DATA_DIR or ../shared/datasets/mnist). Skipped, with the reason, when either is missing.
/// </summary>
[Collection("MSBuild")]
public sealed class MSBuildTargetTests : IDisposable
{
    private readonly SpecFiles files = new();
    private static readonly string Repo = SpecFiles.RepoRoot();

    public void Dispose() => files.Dispose();

    private static bool PwshAvailable(out string why)
    {
        try
        {
            var (code, output) = Run("dotnet", Repo, null, "pwsh", "-NoProfile", "-NonInteractive", "-Command", "$PSVersionTable.PSVersion.Major");
            why = code == 0 ? "" : "'dotnet pwsh' does not run here (run 'dotnet tool restore'): " + output.Trim();
            return code == 0;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            why = "dotnet cannot be started: " + ex.Message;
            return false;
        }
    }

    private static (int Code, string Output) Run(string exe, string workingDirectory, IDictionary<string, string>? env, params string[] args)
    {
        var info = new ProcessStartInfo(exe) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBuildSDKsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var output = new StringBuilder();
        using var p = new Process { StartInfo = info };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(true);
            throw new TimeoutException("timed out: " + exe + " " + string.Join(' ', args) + "\n" + output);
        }
        p.WaitForExit();
        return (p.ExitCode, output.ToString());
    }

    private (int Code, string Output) Build(string? data, params string[] extra)
    {
        var env = data is null ? null : new Dictionary<string, string> { ["MNIST_DATA_DIR"] = data };
        var args = new List<string> { "build", Path.Combine(Repo, "experiments", "Experiments.proj"), "-nologo", "-nodeReuse:false", "-v:n", $"-p:SpecDir={files.Root}" };
        args.AddRange(extra);
        return Run("dotnet", Repo, env, args.ToArray());
    }

    [SkippableFact]
    public void InvalidSpecFailsTheBuildWithCanonicalErrorLines()
    {
        Skip.IfNot(PwshAvailable(out var why), why);
        var bad = files.Write("bad.yaml", "training:", "  epochs: 0", "  optimzer: adam");
        var (code, output) = Build(null);
        Assert.True(code == 1, output);
        Assert.Contains($"{bad}(2,11): error MNC1007: training.epochs must be at least 1 (got 0).", output, StringComparison.Ordinal);
        Assert.Contains($"{bad}(3,3): error MNC1002: unknown key 'optimzer' in training; did you mean 'optimizer'?", output, StringComparison.Ordinal);
        Assert.Contains("Build FAILED", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(files.Root, "runs")), "nothing may be trained for an invalid spec");
    }

    [SkippableFact]
    public void ExitCodes_InvalidSpecAndFailedTrialFail_OneSpecAtATime()
    {
        Skip.IfNot(PwshAvailable(out var why), why);
        // Once "Build succeeded" with exit code 0 although the invalid spec's errors were printed.
        files.Write("bad.yaml", "training:", "  epochs: 0");
        // Valid, but its trial fails at once (its data folder does not exist): nothing trains.
        var broken = files.Write("broken.yaml", "data: { path: /nonexistent/mnist-for-msbuild-test, trainSubset: 100, testSubset: 50 }", "training: { epochs: 1 }");

        var (code, output) = Build(null, "-p:Experiment=bad");
        Assert.True(code == 1, output);
        Assert.Contains("error MNC1007", output, StringComparison.Ordinal);
        Assert.Contains("error MNC1104", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Build succeeded", output, StringComparison.Ordinal);

        (code, output) = Build(null, "-p:Experiment=broken");
        Assert.True(code == 1, output);
        Assert.Contains($"{broken} : error MNC1103", output, StringComparison.Ordinal);
        Assert.Contains("trial 0 run: Failed", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(files.Root, "obj", "broken.result.json")), "no up-to-date marker for a failed spec");
    }

    [SkippableFact]
    public void SpecsRunOnlyWhenTheirInputsChange()
    {
        var data = DataTestFiles.RealMnistFolder();
        Skip.If(data is null, DataTestFiles.NoRealData);
        Skip.IfNot(PwshAvailable(out var why), why);
        var baseSpec = files.Write("shared/base.yaml",
            "data: { trainSubset: 2000, testSubset: 500 }",
            "training: { epochs: 1, seed: 1, threads: 1 }",
            "outputs: { pictures: false }");
        files.Write("tiny.yaml", "extends: shared/base.yaml", "model: { preset: keras-seed }");
        // Another spec in the folder that would fail the build if it ran: -p:Experiment=tiny must leave it alone.
        files.Write("other.yaml", "training: { epochs: 0 }");
        string record = Path.Combine(files.Root, "runs", "tiny", "run", "experiment.json");
        string RunId() => (string)JsonNode.Parse(File.ReadAllText(record))!["runId"]!;

        var (code, output) = Build(data, "-p:Experiment=tiny");
        Assert.True(code == 0, output);
        Assert.Contains("trial 0 run: Finished test accuracy", output, StringComparison.Ordinal);
        Assert.DoesNotContain("other.yaml", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(files.Root, "obj", "tiny.result.json")));
        string first = RunId();

        // Nothing changed: the target is skipped, nothing retrains.
        (code, output) = Build(data, "-p:Experiment=tiny");
        Assert.True(code == 0, output);
        Assert.True(output.Contains("Skipping target \"RunExperiment\" because all output files are up-to-date", StringComparison.Ordinal), output);
        Assert.Equal(first, RunId());

        // The extended file is an input: touching it runs the target, but the resolved spec is the same, so the
        // finished trial is not trained again.
        File.SetLastWriteTimeUtc(baseSpec, DateTime.UtcNow.AddMinutes(1));
        (code, output) = Build(data, "-p:Experiment=tiny");
        Assert.True(code == 0, output);
        Assert.Contains("trial 0 run: Finished test accuracy", output, StringComparison.Ordinal);
        Assert.Contains("(already finished)", output, StringComparison.Ordinal);
        Assert.Equal(first, RunId());

        // A real change to the extended file retrains.
        files.Write("shared/base.yaml",
            "data: { trainSubset: 2000, testSubset: 500 }",
            "training: { epochs: 1, seed: 2, threads: 1 }",
            "outputs: { pictures: false }");
        File.SetLastWriteTimeUtc(baseSpec, DateTime.UtcNow.AddMinutes(2));
        (code, output) = Build(data, "-p:Experiment=tiny");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("(already finished)", output, StringComparison.Ordinal);
        Assert.NotEqual(first, RunId());
        Assert.Contains("seed: 2", File.ReadAllText(Path.Combine(files.Root, "runs", "tiny", "run", "spec.yaml")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ASignalToTheSweepStopsTheTrialKilledAndFailsTheBuild()
    {
        var data = DataTestFiles.RealMnistFolder();
        Skip.If(data is null, DataTestFiles.NoRealData);
        Skip.IfNot(PwshAvailable(out var why), why);
        Skip.IfNot(Directory.Exists("/proc/self"), "needs /proc to find the training process");
        // A trial that never ends on its own: only the signal stops it.
        var spec = files.Write("long.yaml",
            "data: { trainSubset: 256, testSubset: 64 }",
            "training: { epochs: 100000, batchSize: 32, seed: 4, threads: 1 }",
            "outputs: { pictures: false }");
        string run = Path.Combine(files.Root, "runs", "long", "run");

        var build = Task.Run(() => Build(data, "-p:Experiment=long"));
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, "checkpoint", "state.json")) && !build.IsCompleted && clock.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(200);
        Assert.False(build.IsCompleted, "the build ended before its first checkpoint: " + (build.IsCompleted ? build.Result.Output : ""));

        // The PowerShell that trains is the Exec's own process: the dotnet host running pwsh.dll, no launcher between.
        int pid = FindProcess(cmd => cmd.Contains("Invoke-CnnSweep.ps1", StringComparison.Ordinal) && cmd.Contains(spec, StringComparison.Ordinal));
        Assert.True(pid > 0, "no sweep process found");
        Assert.Contains("pwsh.dll", CommandLine(pid), StringComparison.Ordinal);
        string parent = CommandLine(ParentOf(pid));
        Assert.True(parent.Contains("MSBuild.dll", StringComparison.Ordinal) || parent.Contains(" build ", StringComparison.Ordinal), "the sweep's parent is not MSBuild but: " + parent);
        Assert.Equal(0, Run("kill", Repo, null, "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).Code);

        Assert.True(build.Wait(TimeSpan.FromMinutes(2)), "the build did not end after SIGTERM");
        var (code, output) = build.Result;
        Assert.True(code == 1, output);
        Assert.Contains("error MNC1103", output, StringComparison.Ordinal);
        Assert.Contains("To resume, run the same experiment command again", output, StringComparison.Ordinal);
        Assert.Equal("KILLED", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "result.json")))!["status"]);
        Assert.False(File.Exists(Path.Combine(files.Root, "obj", "long.result.json")), "no up-to-date marker for a stopped spec");
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int FindProcess(Func<string, bool> match)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out int pid) && pid != Environment.ProcessId && match(CommandLine(pid))) return pid;
            }
            Thread.Sleep(200);
        }
        return 0;
    }
}
