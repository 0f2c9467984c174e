using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// Tracks training runs: plug it into the Trainer as an <see cref="ITrainingObserver"/>. Each run gets a journal
/// (journal.jsonl in its output folder) and, when <see cref="TrackingSettings.TrackingUri"/> is set, an MLflow run
/// fed from a background queue: params (options, layers, data, device, versions), system tags, per-epoch metrics
/// (step = epoch), test metrics, artifacts and the final status. It never throws into training; problems are
/// warnings. <see cref="RunEnded"/> waits at most <see cref="TrackingSettings.FlushTimeout"/>.
/// </summary>
public sealed class RunTracker : ITrainingObserver, IDisposable
{
    private readonly TrackingSettings settings;
    private readonly IReporter reporter;
    private RunRecorder? recorder;

    public RunTracker(TrackingSettings settings, IReporter? reporter = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        this.settings = settings;
        this.reporter = new ScrubbingReporter(reporter ?? NullReporter.Instance, settings);
        if (RunParameters.ReservedTagWarning(settings.Tags.Keys) is { } warning) this.reporter.Warning(warning);
    }

    public TrackingSettings Settings => this.settings;

    /// <summary>The current (or last) run's recorder, for its <see cref="RunRecorder.ServerRunId"/> and journal path.</summary>
    public RunRecorder? Recorder => this.recorder;

    /// <summary>
    /// Starts a parent run (e.g. a sweep) with its own folder and journal. Pass its <see cref="RunRecorder.RunId"/> to the
    /// children as <c>settings with { ParentRunId = parent.RunId }</c>; they get mlflow.parentRunId once both are on the
    /// server (now, or when published). With a reachable server it returns once the parent exists there (at most the
    /// flush timeout), so children started afterwards are created linked. End it with <see cref="RunRecorder.End"/> and dispose it.
    /// </summary>
    public static RunRecorder StartParentRun(TrackingSettings settings, string? folder, string runName,
        IEnumerable<KeyValuePair<string, string>>? parameters = null, IReporter? reporter = null, string? runId = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        runId ??= Guid.NewGuid().ToString("N");
        var recorder = RunRecorder.Start(settings, folder, runId, runName, DateTimeOffset.UtcNow, reporter);
        recorder.SetTags([.. RunParameters.SystemTags(settings, runId, runName), new("mnistcnn.kind", "parent")]);
        if (parameters is not null) recorder.LogParams(parameters);
        // Children carry mlflow.parentRunId from their creation on only if the parent is already there.
        recorder.WaitUntilOnServer(settings.FlushTimeout);
        return recorder;
    }

    public void RunStarted(RunStartInfo run)
    {
        try
        {
            this.recorder?.Dispose();
            this.recorder = RunRecorder.Start(this.settings, run.OutputPath, run.RunId, run.RunName, run.StartTime, this.reporter);
            this.recorder.SetTags(RunParameters.SystemTags(this.settings, run.RunId, run.RunName));
            // A resumed run may have extended its epochs (or changed threads, device): tags, not conflicting params.
            this.recorder.LogResumedParams(RunParameters.For(run));
            // A resumed run: epochs its checkpoint holds but the journal missed (killed between the two) are logged now.
            foreach (var epoch in run.CompletedEpochs) LogEpoch(epoch);
        }
        catch (Exception ex)
        {
            this.reporter.Warning($"Tracking could not start for run {run.RunId}: {ex.Message}");
        }
    }

    public void EpochCompleted(RunStartInfo run, EpochResult epoch) => LogEpoch(epoch);

    /// <summary>Logs an epoch's metrics once: an epoch already journaled (redone identically after a kill) is not logged again.</summary>
    private void LogEpoch(EpochResult epoch)
    {
        if (this.recorder is null || this.recorder.HasMetric("loss", epoch.Epoch)) return;
        var metrics = new List<KeyValuePair<string, double>>
        {
            new("loss", epoch.Loss),
            new("accuracy", epoch.Accuracy),
        };
        if (epoch.ValidationLoss is { } vl) metrics.Add(new("val_loss", vl));
        if (epoch.ValidationAccuracy is { } va) metrics.Add(new("val_accuracy", va));
        metrics.Add(new("learning_rate", epoch.LearningRate));
        metrics.Add(new("epoch_seconds", epoch.Seconds));
        metrics.Add(new("images_per_second", epoch.ImagesPerSecond));
        this.recorder.LogMetrics(metrics, epoch.Epoch);
    }

    public void RunEnded(RunStartInfo run, TrainingResult result)
    {
        if (this.recorder is null) return;
        try
        {
            if (result.Test is { } test)
            {
                long step = result.Epochs.Count > 0 ? result.Epochs[^1].Epoch : 0;
                this.recorder.LogMetrics([new("test_loss", test.Loss), new("test_accuracy", test.Accuracy)], step, result.EndTime);
            }
            string? folder = result.OutputPath ?? run.OutputPath;
            if (folder is not null && folder == this.recorder.Folder) this.recorder.AddArtifacts(RunRecorder.StandardArtifacts(folder));
            string? error = result.Error ?? (result.Status == RunStatus.Running ? "The run ended while still marked Running." : null);
            this.recorder.End(result.Status == RunStatus.Running ? RunStatus.Failed : result.Status, result.EndTime, error);
        }
        catch (Exception ex)
        {
            this.reporter.Warning($"Tracking could not end run {run.RunId}: {ex.Message}");
        }
        finally
        {
            this.recorder.Dispose();
        }
    }

    public void Dispose() => this.recorder?.Dispose();
}
