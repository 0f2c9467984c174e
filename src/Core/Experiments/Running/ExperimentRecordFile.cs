using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// <c>experiment.json</c>, written by the experiment runner beside the trainer's <c>result.json</c> in every trial's
/// run folder: which spec (path, the files it extends, SHA-256 of the resolved spec), which trial (index, id,
/// settings), the status and headline metrics. Resume and <c>-TrialIndex</c> skips read it.
/// </summary>
public static class ExperimentRecordFile
{
    public const string FileName = Runs.RunFiles.Experiment;
    public const string SpecFileName = Runs.RunFiles.Spec;
    public const string SummaryFileName = "summary.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject ToJson(ExperimentPlan plan, ExperimentTrial trial, ExperimentTrialResult result) => new()
    {
        ["format"] = "mnistcnn-experiment",
        ["formatVersion"] = 1,
        ["spec"] = new JsonObject
        {
            ["name"] = trial.Spec.Name,
            ["path"] = plan.SpecPath,
            ["files"] = new JsonArray(plan.Files.Select(f => (JsonNode?)f).ToArray()),
            ["hash"] = trial.SpecHash,
            ["method"] = plan.Method,
        },
        ["trial"] = new JsonObject
        {
            ["index"] = trial.Index,
            ["count"] = trial.Count,
            ["id"] = trial.Id,
            ["name"] = trial.Name,
            ["settings"] = SettingsJson(trial.Settings),
        },
        ["tracking"] = new JsonObject
        {
            ["experiment"] = trial.Spec.Tracking.Experiment,
            ["tags"] = new JsonObject(trial.Spec.Tracking.Tags.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        },
        ["status"] = result.Status.ToString().ToUpperInvariant(),
        ["resumed"] = result.Resumed,
        ["runId"] = result.RunId,
        ["device"] = result.Device,
        ["testAccuracy"] = result.TestAccuracy,
        ["testLoss"] = result.TestLoss,
        ["bestValidationAccuracy"] = result.BestValidationAccuracy,
        ["epochsCompleted"] = result.EpochsCompleted,
        ["trainSeconds"] = result.TrainSeconds,
        ["startTime"] = result.StartTime?.ToString("o", CultureInfo.InvariantCulture),
        ["endTime"] = result.EndTime?.ToString("o", CultureInfo.InvariantCulture),
        ["error"] = result.Error,
        ["gitCommit"] = GitInfo.Commit(Path.GetDirectoryName(plan.SpecPath)),
        ["toolkitVersion"] = Versions.Toolkit,
    };

    internal static JsonObject SettingsJson(IReadOnlyDictionary<string, object?> settings) =>
        new(settings.Select(kv => KeyValuePair.Create(kv.Key, kv.Value switch
        {
            null => null,
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            bool b => JsonValue.Create(b),
            var other => (JsonNode?)JsonValue.Create(Convert.ToString(other, CultureInfo.InvariantCulture)),
        })));

    public static void Write(string folder, JsonObject json)
    {
        IO.AtomicFile.WriteAllText(Path.Combine(folder, FileName), json.ToJsonString(Indented));
    }

    public static JsonObject? Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The result a finished (or interrupted) trial left in its run folder, or null when it has none.</summary>
    public static ExperimentTrialResult? ReadResult(ExperimentTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return FromJson(trial, Read(trial.OutputPath));
    }

    /// <summary>The result an experiment.json's content describes for <paramref name="trial"/>; null for none.</summary>
    internal static ExperimentTrialResult? FromJson(ExperimentTrial trial, JsonObject? json)
    {
        if (json is null) return null;
        RunStatus status = Enum.TryParse<RunStatus>((string?)json["status"], true, out var s) ? s : RunStatus.Failed;
        return new ExperimentTrialResult(trial, status, (string?)json["spec"]?["hash"] ?? "")
        {
            Resumed = (bool?)json["resumed"] ?? false,
            RunId = (string?)json["runId"],
            Device = (string?)json["device"],
            TestAccuracy = (double?)json["testAccuracy"],
            TestLoss = (double?)json["testLoss"],
            BestValidationAccuracy = (double?)json["bestValidationAccuracy"],
            EpochsCompleted = (int?)json["epochsCompleted"] ?? 0,
            TrainSeconds = (double?)json["trainSeconds"] ?? 0,
            StartTime = DateTimeOffset.TryParse((string?)json["startTime"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var st) ? st : null,
            EndTime = DateTimeOffset.TryParse((string?)json["endTime"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var et) ? et : null,
            Error = (string?)json["error"],
        };
    }

    /// <summary>summary.json in the experiment folder: every trial's status (PENDING when it has not run) and headline metrics.</summary>
    public static void WriteSummary(ExperimentPlan plan, IReadOnlyList<(ExperimentTrial Trial, ExperimentTrialResult? Result)> trials)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(trials);
        var json = new JsonObject
        {
            ["format"] = "mnistcnn-experiment-summary",
            ["formatVersion"] = 1,
            ["name"] = plan.Name,
            ["spec"] = plan.SpecPath,
            ["files"] = new JsonArray(plan.Files.Select(f => (JsonNode?)f).ToArray()),
            ["method"] = plan.Method,
            ["trials"] = new JsonArray(trials.OrderBy(t => t.Trial.Index).Select(t => (JsonNode?)new JsonObject
            {
                ["index"] = t.Trial.Index,
                ["id"] = t.Trial.Id,
                ["settings"] = SettingsJson(t.Trial.Settings),
                ["status"] = t.Result?.Status.ToString().ToUpperInvariant() ?? "PENDING",
                ["testAccuracy"] = t.Result?.TestAccuracy,
                ["testLoss"] = t.Result?.TestLoss,
                ["outputPath"] = t.Trial.OutputPath,
                ["specHash"] = t.Trial.SpecHash,
                ["error"] = t.Result?.Error,
            }).ToArray()),
        };
        IO.AtomicFile.WriteAllText(Path.Combine(plan.OutputPath, SummaryFileName), json.ToJsonString(Indented));
    }
}
