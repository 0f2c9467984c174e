using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;
using MnistCnn.GpuCheck;
using TorchSharp;

namespace MnistCnn.Integration.Tests.GpuCheck;

/// <summary>
/// Keeps the GPU check (scripts/gpu/GpuCheck) building and working on the CPU, cheaply: its options, its libtorch
/// loader's errors, every step on tiny synthetic data in-process, and its own build (which holds no libtorch)
/// loading the libtorch folder it is given, in a child process. The bundle itself is published by build.ps1 GpuBundle.
/// </summary>
public sealed class GpuCheckTests : IDisposable
{
    private static readonly string[] Steps = { "environment", "placement", "tutorial", "evaluate", "predict", "save-load", "fast", "layout" };
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-gpucheck-" + Guid.NewGuid().ToString("N")[..10]);

    public GpuCheckTests() => Directory.CreateDirectory(root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void OptionsTakeTheEnvironmentsLibTorchAndLetLaterOptionsOverrideQuick()
    {
        var o = CheckOptions.Parse(new[] { "--quick", "--epochs", "2", "--device", "CPU", "--eval-batches", "128, 512" },
            name => name == CheckOptions.LibTorchVariable ? "/opt/torch/lib" : null);
        Assert.Equal("/opt/torch/lib", o.LibTorchFolder);
        Assert.Equal(DeviceKind.Cpu, o.Device);
        Assert.Equal(2, o.TutorialEpochs);
        Assert.Equal(1, o.FastEpochs);
        Assert.Equal(4096, o.TrainLimit);
        Assert.Equal(new[] { 128, 512 }, o.EvalBatchSizes);
        var defaults = CheckOptions.Parse(Array.Empty<string>(), _ => null);
        Assert.Null(defaults.LibTorchFolder);
        Assert.Equal(DeviceKind.Cuda, defaults.Device);
        Assert.Equal(5, defaults.TutorialEpochs);
        Assert.Null(defaults.TrainLimit);
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs must be a whole number of at least 1")]
    [InlineData("--device", "tpu", "--device must be cuda or cpu")]
    [InlineData("--bogus", null, "Unknown option '--bogus'")]
    [InlineData("--data", null, "--data needs a value")]
    [InlineData("--eval-batches", ",", "--eval-batches needs at least one batch size")]
    [InlineData("--repeats", "two", "--repeats must be a whole number")]
    public void BadOptionsSayWhichOptionIsWrong(string name, string? value, string expected)
    {
        var args = value is null ? new[] { name } : new[] { name, value };
        var ex = Assert.Throws<MnistCnnException>(() => CheckOptions.Parse(args, _ => null));
        Assert.Equal(GpuCheckErrorIds.GpuCheckUsage, ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArgumentsExitWithTwoAndNoLibTorchIsASetupErrorRecordedInTheSummary()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(2, Entry.Run(new[] { "--epochs", "-1" }, stdout, stderr));
        Assert.Contains("error GpuCheckUsage", stderr.ToString(), StringComparison.Ordinal);

        var output = Path.Combine(root, "no-libtorch");
        int code = Entry.Run(new[] { "--out", output }, stdout, stderr);
        Assert.Equal(2, code);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, CheckRunner.SummaryFile)))!;
        Assert.False((bool)summary["passed"]!);
        Assert.Equal(GpuCheckErrorIds.LibTorchFolderMissing, (string)summary["setupError"]!["errorId"]!);
        Assert.Contains("LibTorchFolderMissing", File.ReadAllText(Path.Combine(output, Entry.LogFile)), StringComparison.Ordinal);
    }

    [Fact]
    public void LibTorchFolderErrorsSayWhatIsMissing()
    {
        var missing = Assert.Throws<MnistCnnException>(() => LibTorchPreloader.Load(Path.Combine(root, "nowhere")));
        Assert.Equal("LibTorchFolderNotFound", missing.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, missing.Kind);

        var empty = Directory.CreateDirectory(Path.Combine(root, "not-libtorch")).FullName;
        File.WriteAllText(Path.Combine(empty, "libc10.so"), "");
        var notLibTorch = Assert.Throws<MnistCnnException>(() => LibTorchPreloader.Load(empty));
        Assert.Equal("LibTorchNotInFolder", notLibTorch.ErrorId);
        Assert.Contains("libtorch_cpu.so", notLibTorch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LibTorchThatCannotBeLoadedIsALoadError()
    {
        var fake = Directory.CreateDirectory(Path.Combine(root, "fake-libtorch")).FullName;
        foreach (var name in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }) File.WriteAllText(Path.Combine(fake, name), "not an ELF file");
        var ex = Assert.Throws<MnistCnnException>(() => LibTorchPreloader.Load(fake));
        Assert.Equal("LibTorchLoadFailed", ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
        Assert.Contains(Path.Combine(fake, "libc10.so"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LibTorchVersionComesFromPyTorchsVersionFileOrTheNuGetPath()
    {
        var lib = Directory.CreateDirectory(Path.Combine(root, "site-packages", "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(root, "site-packages", "torch", "version.py"), "from typing import Optional\n__version__ = '2.11.0+cu130'\ncuda: Optional[str] = '13.0'\n");
        Assert.Equal("2.11.0+cu130", LibTorchPreloader.ReadVersion(lib));
        Assert.Equal("2.10.0", LibTorchPreloader.ReadVersion("/root/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"));
        Assert.Null(LibTorchPreloader.ReadVersion(root));
    }

    [Fact]
    public void ASecondCheckInTheSameOutputFolderStartsAfresh()
    {
        var options = TinyRun("twice");
        var data = SyntheticData.Create(train: 256, test: 64);
        Assert.True(new CheckRunner(options, new StringWriter()).Run(data, libtorch: null));
        var firstRun = File.ReadAllText(Path.Combine(options.OutputFolder, "tutorial-run", "result.json"));
        var log = new StringWriter();
        Assert.True(new CheckRunner(options, log).Run(data, libtorch: null), log.ToString());
        // A new run replaced the old one in place: another run id, and nothing moved aside beside it.
        Assert.NotEqual(RunId(firstRun), RunId(File.ReadAllText(Path.Combine(options.OutputFolder, "tutorial-run", "result.json"))));
        Assert.Equal([Path.Combine(options.OutputFolder, "tutorial-run")], Directory.EnumerateDirectories(options.OutputFolder, "tutorial-run*"));

        static string RunId(string json) => (string)JsonNode.Parse(json)!["runId"]!;
    }

    [Fact]
    public void EveryStepPassesOnTheCpuAndTheSummaryHoldsTheFigures()
    {
        var options = TinyRun("cpu");
        var log = new StringWriter();
        int threadsBefore = torch.get_num_threads();
        bool passed = new CheckRunner(options, log).Run(SyntheticData.Create(train: 256, test: 64), libtorch: null);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(options.OutputFolder, CheckRunner.SummaryFile)))!;
        var checks = summary["checks"]!.AsArray();
        Assert.True(passed, log.ToString());
        Assert.Equal(Steps, checks.Select(c => (string)c!["name"]!));
        Assert.All(checks, c => Assert.Equal("passed", (string)c!["status"]!));
        Assert.True((bool)summary["passed"]!);
        Assert.Equal("cpu", (string)summary["environment"]!["device"]!);

        var tutorial = checks.Single(c => (string)c!["name"]! == "tutorial")!;
        Assert.Equal("cpu", (string)tutorial["device"]!);
        Assert.Single(tutorial["epochs"]!.AsArray());
        Assert.True((double)tutorial["testAccuracy"]! > 0.5, $"synthetic bars are easy: {tutorial["testAccuracy"]}");
        var evaluate = checks.Single(c => (string)c!["name"]! == "evaluate")!;
        Assert.Equal(new[] { 16, 64 }, evaluate["batchSizes"]!.AsArray().Select(r => (int)r!["batchSize"]!));
        Assert.All(evaluate["batchSizes"]!.AsArray(), r => Assert.Equal(0, (int)r!["disagreeWithTraining"]!));
        var saveLoad = checks.Single(c => (string)c!["name"]! == "save-load")!;
        Assert.Equal(0, (int)saveLoad["differentLabels"]!);
        Assert.True(File.Exists(Path.Combine(options.OutputFolder, "model", "model.json")));
        var layout = checks.Single(c => (string)c!["name"]! == "layout")!;
        Assert.True((double)layout["nchwImagesPerSecond"]! > 0 && (double)layout["channelsLastImagesPerSecond"]! > 0);
        Assert.True((double)layout["maxLogitDifference"]! < 1e-3);

        var figures = summary["figures"]!;
        foreach (var key in new[] { "tutorialSecondsPerEpoch", "tutorialTestAccuracy", "fastTrainSeconds", "fastTestAccuracy", "evaluateSeconds", "predictSeconds", "channelsLastSpeedup" })
        {
            Assert.True(figures[key] is not null, $"figures.{key} is missing");
        }
        Assert.Contains("All checks passed.", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(threadsBefore, torch.get_num_threads());
    }

    [SkippableFact]
    public void CudaWithoutAGpuFailsTheEnvironmentStepAndSkipsTheRestSayingWhy()
    {
        Skip.If(torch.cuda.is_available(), "This machine has a GPU: the CUDA-unavailable path cannot be shown here.");
        var options = TinyRun("cuda") with { Device = DeviceKind.Cuda };
        bool passed = new CheckRunner(options, TextWriter.Null).Run(SyntheticData.Create(), libtorch: null);
        Assert.False(passed);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(options.OutputFolder, CheckRunner.SummaryFile)))!;
        var checks = summary["checks"]!.AsArray();
        Assert.Equal("failed", (string)checks[0]!["status"]!);
        Assert.Equal("CudaUnavailable", (string)checks[0]!["errorId"]!);
        Assert.All(checks.Skip(1), c => Assert.Equal("skipped", (string)c!["status"]!));
        Assert.All(checks.Skip(1), c => Assert.Contains("environment", (string)c!["reason"]!, StringComparison.Ordinal));
        Assert.Equal(new[] { "environment" }, summary["failedChecks"]!.AsArray().Select(f => (string)f!));
    }

    [Fact]
    public void ALibTorchMappedFromAnotherFolderThanTheOneGivenFailsTheEnvironmentStep()
    {
        // This process runs the libtorch beside the tests; claim another folder was loaded.
        var elsewhere = Directory.CreateDirectory(Path.Combine(root, "other-libtorch")).FullName;
        var claimed = new LibTorchPreloader.Loaded(elsewhere, new[] { Path.Combine(elsewhere, "libc10.so") }, false, null, elsewhere);
        var options = TinyRun("stray");
        Assert.False(new CheckRunner(options, TextWriter.Null).Run(SyntheticData.Create(train: 64, test: 16), claimed));
        var checks = JsonNode.Parse(File.ReadAllText(Path.Combine(options.OutputFolder, CheckRunner.SummaryFile)))!["checks"]!.AsArray();
        Assert.Equal(GpuCheckErrorIds.LibTorchNotUsed, (string)checks[0]!["errorId"]!);
        Assert.Contains(Path.Combine(AppContext.BaseDirectory.TrimEnd('/'), "libtorch_cpu.so"), (string)checks[0]!["error"]!, StringComparison.Ordinal);
        Assert.All(checks.Skip(1), c => Assert.Equal("skipped", (string)c!["status"]!));
    }

    [Fact]
    public async Task TheRunnersOwnBuildHoldsNoLibTorchAndRunsOnTheFolderItIsGiven()
    {
        // The runner's build output, beside which there is no libtorch (the GPU bundle is the same, trimmed).
        var repo = SpecFiles.RepoRoot();
        var runnerFolder = RunnerFolder();
        var runner = Path.Combine(runnerFolder, "MnistCnn.GpuCheck.dll");
        Assert.True(File.Exists(runner), $"{runner} is missing: the test project builds it through its project reference.");
        Assert.Empty(Directory.GetFiles(runnerFolder, "libtorch*"));
        Assert.True(File.Exists(Path.Combine(runnerFolder, "libLibTorchSharp.so")), "the runner carries TorchSharp's native shim");

        // A libtorch folder elsewhere: this test's own output holds the CPU libtorch of TorchSharp-cpu. The runner
        // is given it through a symbolic link, as a Python venv's site-packages often is.
        var libtorch = AppContext.BaseDirectory.TrimEnd('/');
        Assert.True(File.Exists(Path.Combine(libtorch, "libtorch_cpu.so")));
        var linked = Directory.CreateSymbolicLink(Path.Combine(root, "torch-lib"), libtorch).FullName;
        var data = TinyMnistFolder();
        var output = Path.Combine(root, "child");

        var info = new ProcessStartInfo(DotnetHost(), new[]
        {
            runner, "--libtorch", linked, "--device", "cpu", "--data", data, "--out", output, "--quick", "--threads", "1",
            "--fast-spec", Path.Combine(repo, "experiments", "fast.yaml"), "--eval-batches", "32", "--layout-batches", "2",
        })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment.Remove("LD_LIBRARY_PATH");
        info.Environment.Remove(CheckOptions.LibTorchVariable);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"The runner did not finish in 3 minutes.\n{await stdout}");
            }
        }
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{await stdout}\n{await stderr}");

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, CheckRunner.SummaryFile)))!;
        Assert.True((bool)summary["passed"]!);
        var mapped = summary["environment"]!["mapped"]!;
        Assert.Equal(Path.Combine(libtorch, "libtorch_cpu.so"), (string)mapped["libtorch_cpu.so"]!);
        Assert.Equal(Path.Combine(libtorch, "libc10.so"), (string)mapped["libc10.so"]!);
        Assert.Equal(Path.Combine(runnerFolder, "libLibTorchSharp.so"), Path.GetFullPath((string)mapped["libLibTorchSharp.so"]!));
        Assert.Equal(new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }, summary["environment"]!["libTorchPreloaded"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(linked, (string)summary["environment"]!["libTorchFolder"]!);
        Assert.Equal(libtorch, (string)summary["environment"]!["libTorchMappedFolder"]!);
        Assert.True(File.Exists(Path.Combine(output, Entry.LogFile)));
        // TorchSharp's last resort, copying natives out of the NuGet cache into a "cpu" folder beside itself, was not taken.
        Assert.False(Directory.Exists(Path.Combine(runnerFolder, "cpu")), "TorchSharp fell back to the NuGet cache's libtorch");
    }

    [Theory]
    [InlineData("--device tpu", "--device must be cuda or cpu (got 'tpu')")]
    [InlineData("--threads 0", "--threads needs a whole number of at least 1")]
    [InlineData("--epochs x --device cpu", "--epochs needs a whole number of at least 1")]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("--device cpu --python /nonexistent/python3", "no libtorch: pass --libtorch DIR")]
    [InlineData("--device cpu --libtorch LIBTORCH --bundle /nonexistent", "no runner at /nonexistent/MnistCnn.GpuCheck")]
    [InlineData("--device cpu --libtorch LIBTORCH --bundle RUNNER --data /nonexistent", "no MNIST in /nonexistent")]
    public async Task TheDeviceScriptRefusesBadArgumentsSayingWhatIsWrong(string arguments, string expected)
    {
        var args = arguments.Replace("LIBTORCH", AppContext.BaseDirectory.TrimEnd('/'), StringComparison.Ordinal)
            .Replace("RUNNER", RunnerFolder(), StringComparison.Ordinal)
            .Split(' ').Append("--out").Append(Path.Combine(root, "script-out"));
        var (code, output) = await RunScript(args);
        Assert.True(code == 2, $"exit code {code}\n{output}");
        Assert.Contains("run-gpu-check: " + expected, output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TheDeviceScriptRefusesCudaWithoutAGpu()
    {
        bool hasNvidiaSmi = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "nvidia-smi")));
        Skip.If(hasNvidiaSmi, "This machine has nvidia-smi on its PATH: the script's no-GPU refusal cannot be shown here.");
        var (code, output) = await RunScript(new[] { "--libtorch", AppContext.BaseDirectory, "--out", Path.Combine(root, "script-out") });
        Assert.True(code == 2, $"exit code {code}\n{output}");
        Assert.Contains("--device cuda but no nvidia-smi: not a GPU machine (use --device cpu)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDeviceScriptRunsTheRunnerOnTheCpuAndCollectsItsResults()
    {
        // The runner's framework-dependent build stands in for the bundle (publishing that takes minutes).
        var output = Path.Combine(root, "script-out");
        var (code, log) = await RunScript(new[]
        {
            "--device", "cpu", "--quick", "--no-peer", "--threads", "1", "--libtorch", AppContext.BaseDirectory.TrimEnd('/'),
            "--bundle", RunnerFolder(), "--data", TinyMnistFolder(), "--out", output,
            "--", "--eval-batches", "32", "--layout-batches", "2",
        });
        Assert.True(code == 0, $"exit code {code}\n{log}");
        Assert.Contains("== machine", log, StringComparison.Ordinal);
        Assert.Contains("All checks passed.", log, StringComparison.Ordinal);
        Assert.Contains("runner exit status: 0", log, StringComparison.Ordinal);
        var written = File.ReadAllText(Path.Combine(output, "run-gpu-check.log"));
        Assert.Contains("All checks passed.", written, StringComparison.Ordinal);
        Assert.Contains("Results in " + output, written, StringComparison.Ordinal);
        var check = JsonNode.Parse(File.ReadAllText(Path.Combine(output, CheckRunner.SummaryFile)))!;
        Assert.True((bool)check["passed"]!);
        Assert.True(File.Exists(Path.Combine(output, Entry.LogFile)));
        Assert.False(File.Exists(Path.Combine(output, "torch-bench.json")), "--no-peer runs no PyTorch peer");
        if (File.Exists(Path.Combine(output, "summary.json")))
        {
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "summary.json")))!;
            Assert.True((bool)summary["runnerPassed"]!);
            Assert.Equal((double)check["figures"]!["tutorialTestAccuracy"]!, (double)summary["tutorialTestAccuracy"]!);
        }
        else
        {
            Assert.Contains("summary.json is not written", log, StringComparison.Ordinal);
        }
    }

    /// <summary>Runs scripts/gpu/run-gpu-check.sh with bash; the runner's apphost finds .NET through DOTNET_ROOT.</summary>
    private static async Task<(int Code, string Output)> RunScript(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(SpecFiles.RepoRoot(), "scripts", "gpu", "run-gpu-check.sh"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("OUT");
        info.Environment.Remove("LD_LIBRARY_PATH");
        info.Environment.Remove(CheckOptions.LibTorchVariable);
        // This runtime's folder is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        info.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"run-gpu-check.sh did not finish in 3 minutes.\n{await stdout}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The runner's own build output (same configuration as these tests), which holds no libtorch.</summary>
    private static string RunnerFolder()
    {
        var repo = SpecFiles.RepoRoot();
        var relative = Path.GetRelativePath(Path.Combine(repo, "tests", "Integration.Tests"), AppContext.BaseDirectory);
        return Path.Combine(repo, "scripts", "gpu", "GpuCheck", relative).TrimEnd('/');
    }

    /// <summary>Raw IDX files of a small synthetic MNIST (256 training, 64 test images) in a temp folder.</summary>
    private string TinyMnistFolder()
    {
        var data = Directory.CreateDirectory(Path.Combine(root, "mnist")).FullName;
        WriteIdx(data, "train", SyntheticData.Split("train", 256, new Random(3)));
        WriteIdx(data, "t10k", SyntheticData.Split("test", 64, new Random(4)));
        return data;
    }

    private CheckOptions TinyRun(string name) => new()
    {
        Device = DeviceKind.Cpu,
        OutputFolder = Path.Combine(root, name),
        TutorialEpochs = 1,
        FastEpochs = 1,
        FastSpec = Path.Combine(SpecFiles.RepoRoot(), "experiments", "fast.yaml"),
        EvalBatchSizes = new[] { 16, 64 },
        LayoutBatches = 2,
        Repeats = 1,
        // One thread: two OpenMP threads on a busy 2-core machine wait on each other (the runner restores the count).
        Threads = 1,
    };

    private static void WriteIdx(string folder, string prefix, DataSplit split)
    {
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), DataTestFiles.Idx(IdxReader.ImagesMagic, new[] { split.Count, split.Height, split.Width }, split.Pixels));
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), DataTestFiles.Idx(IdxReader.LabelsMagic, new[] { split.Count }, split.Labels));
    }

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH, set by dotnet test), else the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
