using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;
using MnistCnn.Core.Experiments.Spec;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// The tracking policy of experiment trials. Every trial gets a journal in its run folder, and goes to MLflow when the
/// spec's tracking.trackingUri or MLFLOW_TRACKING_URI names a server. Experiment: tracking.experiment,
/// MLFLOW_EXPERIMENT_NAME, the spec name. A sweep's trials are children of one parent run, found or created on the
/// server before the child; once every trial of a sweep has ended, sweep.html and the parent run are finished.
/// </summary>
public static class TrialTracking
{
    /// <summary>Where a spec's runs are tracked (server, experiment, tags).</summary>
    public static TrackingSettings Settings(ExperimentSpec spec, IReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string? fromEnvironment = Environment.GetEnvironmentVariable("MLFLOW_EXPERIMENT_NAME");
        string experiment = spec.Tracking.Experiment ?? (string.IsNullOrEmpty(fromEnvironment) ? spec.Name : fromEnvironment);
        return TrackingSettings.Resolve(spec.Tracking.TrackingUri, experiment, reporter) with { Tags = spec.Tracking.Tags };
    }

    /// <summary>The tracker of one trial (a child of the sweep's parent run when the experiment is a sweep); dispose it after the trial.</summary>
    public static RunTracker Tracker(TrialContext context, IReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = SweepTracking.ForTrial(context.Plan, Settings(context.Trial.Spec, reporter), reporter);
        return new RunTracker(settings, reporter);
    }

    /// <summary>After each trial: once every trial of the sweep has ended, sweep.html and the parent run are finished (a failure is a warning).</summary>
    public static void FinishSweep(ExperimentPlan plan, IReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(reporter);
        try
        {
            SweepTracking.TryFinish(plan, Settings(plan.Trials[0].Spec, NullReporter.Instance), reporter);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MnistCnnException)
        {
            reporter.Warning($"The sweep report or parent run of '{plan.Name}' could not be written: {ex.Message}");
        }
    }
}
