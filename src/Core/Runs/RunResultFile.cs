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

    /// <summary>
    /// The training result a run folder's result.json describes (epochs, test loss and accuracy, settings, model), for
    /// reports of runs from disk; null when the folder has no readable result.json. The test predictions are not kept
    /// in result.json, so <see cref="TrainingResult.Test"/> carries only loss, accuracy and count.
    /// </summary>
    public static TrainingResult? ReadResult(string folder)
    {
        JsonObject? json;
        try
        {
            json = Read(folder);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (json is null || json["model"] is not JsonObject model) return null;
        try
        {
            var epochs = json["epochs"]?.Deserialize<List<EpochResult>>(SpecJson.Options) ?? [];
            var options = json["settings"]?.Deserialize<TrainingOptions>(SpecJson.Options) ?? new TrainingOptions();
            var test = json["test"] is JsonObject t && (double?)t["accuracy"] is { } accuracy
                ? new EvaluationResult((double?)t["loss"] ?? double.NaN, accuracy, (int?)t["count"] ?? 0, [], [], [])
                : null;
            DateTimeOffset Time(string key) => DateTimeOffset.TryParse((string?)json[key], System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.None, out var v) ? v : DateTimeOffset.MinValue;
            return new TrainingResult
            {
                RunId = (string?)json["runId"] ?? Path.GetFileName(Path.GetFullPath(folder)),
                RunName = (string?)json["runName"] ?? Path.GetFileName(Path.GetFullPath(folder)),
                Model = SpecJson.FromJson(model),
                Options = options with { OutputPath = Path.GetFullPath(folder) },
                Dataset = (string?)json["dataset"]?["name"] ?? "",
                Epochs = epochs,
                Test = test,
                Status = Enum.TryParse<RunStatus>((string?)json["status"], ignoreCase: true, out var status) ? status : RunStatus.Failed,
                Device = (string?)json["device"] ?? "",
                StartTime = Time("startTime"),
                EndTime = Time("endTime"),
                OutputPath = Path.GetFullPath(folder),
                ModelPath = (string?)json["modelPath"],
                Error = (string?)json["error"],
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or MnistCnnException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
