using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// A sweep as one tracked parent run with every trial as its child. The parent's run folder is the experiment folder
/// (outputs root / spec name): its journal.jsonl beside summary.json and sweep.html, so
/// <c>Publish-CnnRun -Path &lt;experiment folder&gt;</c> publishes an offline sweep with the same structure (parent first,
/// then the trials linked to it). A single-trial spec is not a sweep and gets no parent.
/// </summary>
public static class SweepTracking
{
    /// <summary>The tag holding a fingerprint of the trial results the parent was last finished with.</summary>
    public const string StateTag = "mnistcnn.sweep_state";
    public const string BestTrialTag = "mnistcnn.best_trial";

    /// <summary>True when the plan has more than one trial (and so a parent run).</summary>
    public static bool HasParent(ExperimentPlan plan) => plan?.Trials.Count > 0 && plan.Trials[0].Count > 1;

    /// <summary>Our run id of the plan's parent run.</summary>
    public static string ParentRunId(ExperimentPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return SweepParent.RunIdFor(plan.SweepId);
    }

    /// <summary>
    /// The tracking settings for one trial: a child of the sweep's parent when the plan is a sweep. With a server,
    /// the parent is found or created there first (see <see cref="SweepParent"/>), so the child is linked from the
    /// moment it is created.
    /// </summary>
    public static TrackingSettings ForTrial(ExperimentPlan plan, TrackingSettings settings, IReporter? reporter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(settings);
        if (!HasParent(plan)) return settings;
        // An unreachable server is one warning for the sweep, not one or two per trial.
        settings = settings with { Offline = plan.Offline };
        if (settings.IsRemote) SweepParent.Ensure(settings, plan.SweepId, plan.Name, plan.OutputPath, reporter, cancellationToken);
        return settings with { ParentRunId = ParentRunId(plan) };
    }

    /// <summary>
    /// Called after a trial ends, in whichever process ran it. When every trial of the plan has ended (finished or
    /// failed, with this spec), writes sweep.html and summary.json into the experiment folder and finishes the parent
    /// run: the best trial's test metrics, the trial counts, the report as an artifact, FINISHED (FAILED when a trial
    /// failed). Returns the report's path; null while trials remain, or when nothing changed since it was last done, or
    /// for a worker's part of a plan (the parent that started the worker finishes the sweep).
    /// </summary>
    public static string? TryFinish(ExperimentPlan plan, TrackingSettings settings, IReporter? reporter = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(settings);
        reporter ??= NullReporter.Instance;
        if (!HasParent(plan) || plan.IsPart) return null;
        var results = plan.Trials.Select(t => (Trial: t, Result: ExperimentRecordFile.ReadResult(t) is { } r && r.SpecHash == t.SpecHash ? r : null)).ToList();
        if (results.Any(x => x.Result is null || x.Result.Status is not (RunStatus.Finished or RunStatus.Failed))) return null;

        string state = Fingerprint(results.Select(x => x.Result!));
        string folder = plan.OutputPath;
        string journalPath = Path.Combine(folder, RunJournal.FileName);
        string html = Path.Combine(folder, SweepReport.HtmlFile);
        if (File.Exists(journalPath) && File.Exists(html))
        {
            var previous = JournaledRun.From(RunJournal.ReadFile(journalPath));
            bool sent = !settings.IsRemote || previous.PendingCount(settings.ServerDisplay) == 0 && previous.ServerRuns.ContainsKey(settings.ServerDisplay);
            if (previous.Tags.GetValueOrDefault(StateTag) == state && previous.Status != "RUNNING" && sent) return null;
        }

        ExperimentRunner.WriteSummary(plan);
        var trials = results
            .Select(x => (x.Trial, Training: RunResultFile.ReadResult(x.Trial.OutputPath)))
            .Where(x => x.Training is not null)
            .Select(x => new SweepTrial(x.Trial.Id, x.Training!, x.Trial.Settings.ToDictionary(kv => kv.Key, kv => Convert.ToString(kv.Value, CultureInfo.InvariantCulture) ?? "", StringComparer.Ordinal)))
            .ToList();
        if (trials.Count > 0) html = SweepReport.Write(folder, trials, plan.Name).Html;

        var all = results.Select(x => x.Result!).ToList();
        var best = all.Where(r => r.TestAccuracy is not null).OrderByDescending(r => r.TestAccuracy).ThenBy(r => r.TrialIndex).FirstOrDefault();
        var start = all.Select(r => r.StartTime).Where(t => t is not null).DefaultIfEmpty(DateTimeOffset.UtcNow).Min() ?? DateTimeOffset.UtcNow;
        string parentId = ParentRunId(plan);
        var parentSettings = settings with { ParentRunId = null, Offline = plan.Offline };
        using var recorder = RunRecorder.Start(parentSettings, folder, parentId, plan.Name, start, reporter);
        var tags = new List<KeyValuePair<string, string>>(RunParameters.SystemTags(parentSettings, parentId, plan.Name))
        {
            new(SweepParent.KindTag, "sweep"),
            new(SweepParent.SweepIdTag, plan.SweepId),
            new(StateTag, state),
        };
        if (best is not null) tags.Add(new(BestTrialTag, best.TrialId));
        recorder.SetTags(tags);
        recorder.LogParams(
        [
            new("sweep.method", plan.Method ?? "none"),
            new("sweep.trials", plan.Trials.Count.ToString(CultureInfo.InvariantCulture)),
            new("sweep.spec", Path.GetFileName(plan.SpecPath)),
        ]);
        var metrics = new List<KeyValuePair<string, double>>
        {
            new("trials_finished", all.Count(r => r.Status == RunStatus.Finished)),
            new("trials_failed", all.Count(r => r.Status != RunStatus.Finished)),
        };
        if (best?.TestAccuracy is { } accuracy) metrics.Add(new("test_accuracy", accuracy));
        if (best?.TestLoss is { } loss) metrics.Add(new("test_loss", loss));
        if (best?.BestValidationAccuracy is { } validation) metrics.Add(new("val_accuracy", validation));
        recorder.LogMetrics(metrics, 0);
        recorder.AddArtifacts([SweepReport.HtmlFile, SweepReport.CurvesFile, ExperimentRecordFile.SummaryFileName]);
        bool failed = all.Any(r => r.Status != RunStatus.Finished);
        recorder.End(failed ? RunStatus.Failed : RunStatus.Finished, DateTimeOffset.UtcNow,
            failed ? $"{all.Count(r => r.Status != RunStatus.Finished)} of {all.Count} trials failed." : null);
        reporter.Verbose(best is null
            ? $"Sweep '{plan.Name}' done: {html}."
            : string.Create(CultureInfo.InvariantCulture, $"Sweep '{plan.Name}' done: best trial {best.TrialIndex} ({best.TrialId}), test accuracy {best.TestAccuracy:P2}; {html}."));
        return html;
    }

    private static string Fingerprint(IEnumerable<ExperimentTrialResult> results) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", results.OrderBy(r => r.TrialIndex)
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.TrialIndex}|{r.SpecHash}|{r.Status}|{r.RunId}|{r.TestAccuracy:R}"))))))[..16];
}
