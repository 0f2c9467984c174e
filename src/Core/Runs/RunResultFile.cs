using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Runs;

/// <summary>
/// Writes and reads <c>result.json</c>, the machine-readable record of a run: ids, settings, layers, data and its
/// checksums, metrics per epoch, test metrics, timings, versions and git commit. Rewritten atomically after every
/// epoch, so an interrupted run still leaves a valid file with what it finished.
/// </summary>
public static class RunResultFile
{
    public const string FileName = RunFiles.Result;

    public static JsonObject ToJson(RunStartInfo run, TrainingResult? result, IReadOnlyList<EpochResult> epochs, RunStatus status)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(epochs);
        var json = new JsonObject
        {
            ["format"] = "mnistcnn-run",
            ["formatVersion"] = 1,
            ["runId"] = run.RunId,
            ["runName"] = run.RunName,
            ["status"] = status.ToString().ToUpperInvariant(),
            ["startTime"] = run.StartTime.ToString("o"),
            ["endTime"] = result?.EndTime.ToString("o"),
            ["device"] = run.Device,
            ["dataset"] = new JsonObject
            {
                ["name"] = run.Dataset,
                ["train"] = run.TrainCount,
                ["validation"] = run.ValidationCount,
                ["test"] = run.TestCount,
                ["checksums"] = new JsonObject(run.DataChecksums.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            },
            ["settings"] = JsonSerializer.SerializeToNode(run.Options, SpecJson.Options),
            ["model"] = SpecJson.ToJson(run.Model),
            ["parameters"] = run.Model.Summarize().Sum(r => r.Parameters),
            ["epochs"] = JsonSerializer.SerializeToNode(epochs, SpecJson.Options),
            ["test"] = result?.Test is { } t ? new JsonObject { ["loss"] = t.Loss, ["accuracy"] = t.Accuracy, ["count"] = t.Count } : null,
            ["timings"] = new JsonObject
            {
                ["trainSeconds"] = epochs.Sum(e => e.Seconds),
                ["totalSeconds"] = ((result?.EndTime ?? DateTimeOffset.UtcNow) - run.StartTime).TotalSeconds,
            },
            ["versions"] = new JsonObject
            {
                ["toolkit"] = Versions.Toolkit,
                ["torchSharp"] = Versions.TorchSharp,
                ["libtorch"] = Versions.LibTorch,
                ["dotnet"] = Environment.Version.ToString(),
            },
            ["gitCommit"] = GitInfo.Commit(),
            ["modelPath"] = result?.ModelPath,
            ["error"] = result?.Error,
        };
        return json;
    }

    public static void Write(string folder, JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        IO.AtomicFile.WriteJson(Path.Combine(folder, FileName), json);
    }

    public static JsonObject? Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
    }
}
