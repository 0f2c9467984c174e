using MnistCnn.Core.Data;
using System.Collections.Concurrent;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Tracking;

/// <summary>Collects everything a component reports.</summary>
internal sealed class RecordingReporter : IReporter
{
    public ConcurrentQueue<string> Warnings { get; } = new();
    public ConcurrentQueue<string> Verboses { get; } = new();
    public void Progress(ProgressInfo progress) { }
    public void Warning(string message) => Warnings.Enqueue(message);
    public void Verbose(string message) => Verboses.Enqueue(message);
    public IEnumerable<string> All => Warnings.Concat(Verboses);
}

/// <summary>A temporary folder removed at the end of a test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mnistcnn-tracking-" + Guid.NewGuid().ToString("N")));
    public string Path { get; }
    public string Sub(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TrackingTestKit
{
    /// <summary>Settings for tests: tiny back-off delays, short timeouts.</summary>
    public static TrackingSettings Settings(Uri? uri, string experiment = "mnist-test") => new()
    {
        TrackingUri = uri,
        Experiment = experiment,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryDelay = TimeSpan.FromMilliseconds(40),
        MaxRetryAfter = TimeSpan.FromMilliseconds(50),
        MaxAttempts = 3,
        FlushTimeout = TimeSpan.FromSeconds(15),
        RequestTimeout = TimeSpan.FromSeconds(5),
        User = "tester",
    };

    public static RunStartInfo Start(string? folder, string? runId = null, TrainingOptions? options = null) => new(
        runId ?? "run-" + Guid.NewGuid().ToString("N")[..12],
        "test-run",
        ModelPresets.Create(ModelPresets.KerasSeed, InputShape.Mnist, 10),
        options ?? new TrainingOptions { Epochs = 3, Seed = 7, OutputPath = folder },
        "Mnist",
        new Dictionary<string, string> { ["train-images-idx3-ubyte.gz"] = new string('a', 64), ["train-labels-idx1-ubyte.gz"] = new string('b', 64) },
        1000, 100, 500, "cpu", DateTimeOffset.UtcNow.AddMinutes(-1), folder, 1);

    public static EpochResult Epoch(int epoch, int epochs = 3) =>
        new(epoch, epochs, 1.0 / epoch, 0.8 + (0.05 * epoch), 1.1 / epoch, 0.79 + (0.05 * epoch), 0.001, 1.5, 600);

    public static TrainingResult Result(RunStartInfo run, IReadOnlyList<EpochResult> epochs, RunStatus status = RunStatus.Finished, string? error = null) => new()
    {
        RunId = run.RunId,
        RunName = run.RunName,
        Model = run.Model,
        Options = run.Options,
        Dataset = run.Dataset,
        Epochs = epochs,
        Test = status == RunStatus.Finished ? new EvaluationResult(0.05, 0.985, 500, [], [], []) : null,
        Status = status,
        Device = run.Device,
        StartTime = run.StartTime,
        EndTime = DateTimeOffset.UtcNow,
        OutputPath = run.OutputPath,
        ModelPath = run.OutputPath is null ? null : Path.Combine(run.OutputPath, "model"),
        Error = error,
    };

    /// <summary>Writes the files a finished run leaves in its folder.</summary>
    public static void WriteRunFiles(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "model"));
        File.WriteAllText(Path.Combine(folder, "model", "model.json"), "{\"name\":\"keras-seed\"}");
        File.WriteAllBytes(Path.Combine(folder, "model", "weights.bin"), Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllText(Path.Combine(folder, "result.json"), "{\"status\":\"Finished\"}");
        File.WriteAllBytes(Path.Combine(folder, "curves.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(folder, "spec.yaml"), "model: keras-seed\n");
    }

    /// <summary>Drives a tracker through a whole synthetic run.</summary>
    public static TrainingResult RunAll(RunTracker tracker, RunStartInfo run, int epochs = 3, Action<int>? afterEpoch = null)
    {
        tracker.RunStarted(run);
        var list = new List<EpochResult>();
        for (int e = 1; e <= epochs; e++)
        {
            var r = Epoch(e, epochs);
            list.Add(r);
            tracker.EpochCompleted(run, r);
            afterEpoch?.Invoke(e);
        }
        if (run.OutputPath is not null) WriteRunFiles(run.OutputPath);
        var result = Result(run, list);
        tracker.RunEnded(run, result);
        return result;
    }

    public static void WaitUntil(Func<bool> condition, int timeoutMs = 10000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("Condition not met in time.");
            Thread.Sleep(10);
        }
    }
}
