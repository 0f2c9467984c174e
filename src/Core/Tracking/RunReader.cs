using MnistCnn.Core.Data;
using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// A tracked run read back from an MLflow server or a run folder's journal: identity, status, times, params and
/// the final value of every metric. The common metrics are typed properties (so
/// <c>Sort-Object TestAccuracy</c> works); everything is also in <see cref="Params"/>, <see cref="Metrics"/> and
/// <see cref="Tags"/>.
/// </summary>
public sealed class TrackedRun
{
    /// <summary>Our run id (tag mnistcnn.run_id; the server's id for runs MnistCnn did not create).</summary>
    public required string RunId { get; init; }
    public string? ServerRunId { get; init; }
    public required string RunName { get; init; }
    public required string Experiment { get; init; }
    /// <summary>
    /// How the run stands, as on every other MnistCnn object (the journal and MLflow keep their upper-case names,
    /// RUNNING, FINISHED, FAILED, KILLED; MLflow's SCHEDULED reads as Running).
    /// </summary>
    public required RunStatus Status { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    public TimeSpan? Duration => StartTime is { } s && EndTime is { } e && e >= s ? e - s : null;
    public string? ParentRunId { get; init; }
    /// <summary>Where it was read: the server address, or the run folder.</summary>
    public required string Source { get; init; }
    /// <summary>The run folder, for runs read from journals.</summary>
    public string? Folder { get; init; }
    /// <summary>For runs read from journals: the servers that acknowledged every journal event.</summary>
    public IReadOnlyList<string> PublishedTo { get; init; } = [];
    public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();
    /// <summary>Last value (highest step) of every metric.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public double? TestAccuracy => Metric("test_accuracy");
    public double? TestLoss => Metric("test_loss");
    public double? Accuracy => Metric("accuracy");
    public double? Loss => Metric("loss");
    public double? ValAccuracy => Metric("val_accuracy");
    public double? ValLoss => Metric("val_loss");
    public int? Epochs => Params.TryGetValue("epochs", out var e) && int.TryParse(e, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
    public string? Model => Params.GetValueOrDefault("model.name");
    public string? Optimizer => Params.GetValueOrDefault("optimizer");

    public double? Metric(string key) => Metrics.TryGetValue(key, out var v) ? v : null;

    public override string ToString() => $"{RunName} ({Status}, {Source})";
}

/// <summary>Reads tracked runs back: from an MLflow server's search API, or from run folders' journals.</summary>
public static class RunReader
{
    /// <summary>Every run under <paramref name="path"/> (a run folder, or a folder of run folders).</summary>
    public static IReadOnlyList<TrackedRun> FromFolder(string path, IReporter? reporter = null)
    {
        var runs = new List<TrackedRun>();
        foreach (var folder in RunPublisher.FindRunFolders(path))
        {
            var run = JournaledRun.From(RunJournal.ReadFile(Path.Combine(folder, RunJournal.FileName), reporter));
            if (!run.HasRunEvent) continue;
            runs.Add(new TrackedRun
            {
                RunId = run.RunId,
                ServerRunId = run.ServerRuns.Count == 1 ? run.ServerRuns.Values.First().RunId : null,
                RunName = run.RunName,
                Experiment = run.Experiment,
                Status = RunRecorder.ParseStatus(run.Status),
                StartTime = run.StartTime > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(run.StartTime) : null,
                EndTime = run.EndTime is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
                ParentRunId = run.ParentRunId,
                Source = folder,
                Folder = folder,
                PublishedTo = run.ServerRuns.Keys.Where(s => run.PendingCount(s) == 0).Order(StringComparer.Ordinal).ToList(),
                Params = run.Params,
                Tags = run.Tags,
                Metrics = Final(run.Metrics),
            });
        }
        return runs;
    }

    /// <summary>
    /// Every active run of the named experiments (all pages). <paramref name="filter"/> is an MLflow search filter,
    /// e.g. <c>metrics.test_accuracy &gt; 0.99</c>. Throws ExperimentNotFound for an unknown experiment name.
    /// </summary>
    public static async Task<IReadOnlyList<TrackedRun>> FromServerAsync(TrackingSettings settings, IReadOnlyList<string> experiments,
        string? filter = null, IReporter? reporter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.IsRemote)
        {
            throw new MnistCnnException(TrackingErrorIds.TrackingUriMissing, ErrorKind.InvalidArgument,
                "No MLflow tracking server to read from: give -TrackingUri http://host:port or set MLFLOW_TRACKING_URI (http or https), or read run folders with -Path.");
        }
        if (experiments.Count == 0) experiments = [settings.Experiment];
        using var client = new MlflowClient(settings);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in experiments.Distinct(StringComparer.Ordinal))
        {
            string id = await client.GetExperimentIdByNameAsync(name, cancellationToken)
                ?? throw new MnistCnnException(TrackingErrorIds.ExperimentNotFound, ErrorKind.ObjectNotFound,
                    $"The MLflow server {settings.ServerDisplay} has no experiment named '{name}'. Check the name (it is case-sensitive) in the MLflow UI.", name);
            names[id] = name;
        }
        var found = await client.SearchRunsAsync(names.Keys.ToList(), filter, cancellationToken);
        return found.Select(r => new TrackedRun
        {
            RunId = r.Tags.GetValueOrDefault(RunSynchronizer.RunIdTag) ?? r.RunId,
            ServerRunId = r.RunId,
            RunName = r.RunName ?? r.Tags.GetValueOrDefault("mlflow.runName") ?? r.RunId,
            Experiment = names.GetValueOrDefault(r.ExperimentId) ?? r.ExperimentId,
            Status = RunRecorder.ParseStatus(r.Status),
            StartTime = r.StartTime is > 0 and { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
            EndTime = r.EndTime is > 0 and { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
            ParentRunId = r.Tags.GetValueOrDefault(RunSynchronizer.ParentRunIdTag),
            Source = settings.ServerDisplay,
            Params = r.Params,
            Tags = r.Tags,
            Metrics = r.Metrics.ToDictionary(kv => kv.Key, kv => kv.Value.Value, StringComparer.Ordinal),
        }).ToList();
    }

    /// <summary>
    /// A run on the server as a training result for reports: its epochs from the metric histories (step = epoch), its
    /// test metrics, its options from its params. The model's layers are not rebuilt (its parameter count is
    /// <c>model.parameters</c>, returned separately). Throws RunNotFound for an unknown run id.
    /// </summary>
    public static async Task<(TrainingResult Result, long? ModelParameters)> ResultFromServerAsync(TrackingSettings settings, string serverRunId,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(serverRunId);
        if (!settings.IsRemote)
        {
            throw new MnistCnnException(TrackingErrorIds.TrackingUriMissing, ErrorKind.InvalidArgument,
                $"Run {serverRunId} is on an MLflow server, but none is configured: give -TrackingUri http://host:port or set MLFLOW_TRACKING_URI.");
        }
        using var client = new MlflowClient(settings);
        var run = await client.GetRunAsync(serverRunId, cancellationToken)
            ?? throw new MnistCnnException(TrackingErrorIds.RunNotFound, ErrorKind.ObjectNotFound, $"The MLflow server {settings.ServerDisplay} has no run {serverRunId}.", serverRunId);
        var history = new Dictionary<string, Dictionary<long, double>>(StringComparer.Ordinal);
        foreach (var key in new[] { "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "epoch_seconds", "images_per_second" })
        {
            if (!run.Metrics.ContainsKey(key)) continue;
            history[key] = (await client.GetMetricHistoryAsync(serverRunId, key, cancellationToken))
                .GroupBy(p => p.Step).ToDictionary(g => g.Key, g => g.OrderBy(p => p.Timestamp).Last().Value);
        }
        var options = RunParameters.OptionsFrom(run.Params);
        double? At(string key, long step) => history.TryGetValue(key, out var h) && h.TryGetValue(step, out var v) ? v : null;
        var steps = history.TryGetValue("loss", out var losses) ? losses.Keys.Where(s => s > 0).Order().ToList() : [];
        int epochs = steps.Count == 0 ? 0 : (int)steps[^1];
        var epochResults = steps.Select(s => new EpochResult((int)s, Math.Max(epochs, options.Epochs), At("loss", s) ?? double.NaN, At("accuracy", s) ?? double.NaN,
            At("val_loss", s), At("val_accuracy", s), At("learning_rate", s) ?? options.EffectiveLearningRate, At("epoch_seconds", s) ?? 0, At("images_per_second", s) ?? 0)).ToList();
        var test = run.Metrics.TryGetValue("test_accuracy", out var accuracy)
            ? new EvaluationResult(run.Metrics.TryGetValue("test_loss", out var loss) ? loss.Value : double.NaN, accuracy.Value, 0, [], [], [])
            : null;
        var p = run.Params;
        var input = p.GetValueOrDefault("model.input_shape")?.Split('x') is [var h, var w, var c]
            && int.TryParse(h, CultureInfo.InvariantCulture, out int hh) && int.TryParse(w, CultureInfo.InvariantCulture, out int ww) && int.TryParse(c, CultureInfo.InvariantCulture, out int cc)
            ? new InputShape(hh, ww, cc) : InputShape.Mnist;
        int classes = int.TryParse(p.GetValueOrDefault("model.classes"), CultureInfo.InvariantCulture, out int k) ? k : 10;
        long? parameters = long.TryParse(p.GetValueOrDefault("model.parameters"), CultureInfo.InvariantCulture, out long n) ? n : null;
        var result = new TrainingResult
        {
            RunId = run.Tags.GetValueOrDefault(RunSynchronizer.RunIdTag) ?? run.RunId,
            RunName = run.RunName ?? run.Tags.GetValueOrDefault("mlflow.runName") ?? run.RunId,
            Model = new Models.ModelSpec(input, classes, [], p.GetValueOrDefault("model.name") ?? "unknown"),
            Options = options,
            Dataset = p.GetValueOrDefault("dataset") ?? p.GetValueOrDefault("data.name") ?? "",
            Epochs = epochResults,
            Test = test,
            Status = run.Status switch { "FINISHED" => RunStatus.Finished, "KILLED" => RunStatus.Killed, "RUNNING" => RunStatus.Running, _ => RunStatus.Failed },
            Device = p.GetValueOrDefault("device") ?? "",
            StartTime = run.StartTime is > 0 and { } st ? DateTimeOffset.FromUnixTimeMilliseconds(st) : DateTimeOffset.MinValue,
            EndTime = run.EndTime is > 0 and { } et ? DateTimeOffset.FromUnixTimeMilliseconds(et) : DateTimeOffset.MinValue,
            Error = run.Tags.GetValueOrDefault("mnistcnn.error"),
        };
        return (result, parameters);
    }

    private static Dictionary<string, double> Final(IEnumerable<MetricPoint> points) =>
        points.GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(p => p.Step).ThenBy(p => p.Timestamp).Last().Value, StringComparer.Ordinal);
}
