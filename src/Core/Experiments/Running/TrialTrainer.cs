using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Reporting;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// Builds the real training function for <see cref="ExperimentRunner"/>: loads the trial's dataset (once per process
/// for a given dataset and folder), takes the subsets the spec asks for, and calls <see cref="Trainer.Train"/> with
/// the trial's model, options, observers and resume folder.
/// </summary>
public static class TrialTrainer
{
    /// <summary>What a stopped trial's warning says to do: the trial resumes with its experiment, not on its own.</summary>
    public const string ResumeAdvice = "To resume, run the same experiment command again (Invoke-CnnExperiment, scripts/Invoke-CnnSweep.ps1 or the MSBuild target): the trial continues from it and finished trials are skipped.";

    /// <param name="loadData">Loads a dataset: kind, folder (null: the default search) and cancellation.</param>
    /// <param name="observers">Observers (trackers) for a trial; null: none. Those that are IDisposable are disposed after the trial.</param>
    public static Func<TrialContext, CancellationToken, TrainingResult> Create(
        Func<DatasetKind, string?, CancellationToken, MnistDataset> loadData,
        Func<TrialContext, IReadOnlyList<ITrainingObserver>>? observers = null)
    {
        ArgumentNullException.ThrowIfNull(loadData);
        var cache = new Dictionary<(DatasetKind, string?), MnistDataset>();
        var gate = new object();
        return (context, cancellationToken) =>
        {
            var spec = context.Trial.Spec;
            MnistDataset data;
            lock (gate)
            {
                var key = (spec.Data.Dataset, spec.Data.Path);
                if (!cache.TryGetValue(key, out data!))
                {
                    data = loadData(spec.Data.Dataset, spec.Data.Path, cancellationToken);
                    cache[key] = data;
                }
            }
            if (spec.Data.TrainSubset is not null || spec.Data.TestSubset is not null)
            {
                data = data.Subset(spec.Data.TrainSubset ?? data.Train.Count, spec.Data.TestSubset);
            }
            var attached = observers?.Invoke(context) ?? Array.Empty<ITrainingObserver>();
            try
            {
                // Pictures and report.html follow outputs.pictures through TrainingOptions.Report.
                // The report observer comes before the trackers, so they can upload its pictures.
                var all = new List<ITrainingObserver> { new RunReportObserver(data.Test, data.ClassNames, context.Reporter) };
                all.AddRange(attached);
                var trainer = new Trainer(context.Reporter) { ResumeAdvice = ResumeAdvice };
                return trainer.Train(spec.Model, data, context.Options, all, cancellationToken, context.RunName, context.ResumeFrom, context.FolderLock);
            }
            finally
            {
                foreach (var o in attached) (o as IDisposable)?.Dispose();
            }
        };
    }

    /// <summary>
    /// The training function of trials run in this process, with the trials' tracking policy (<see cref="TrialTracking"/>):
    /// each trial gets <paramref name="progress"/>'s observer (when given) and its tracker, disposed after the trial.
    /// </summary>
    public static Func<TrialContext, CancellationToken, TrainingResult> Tracked(
        Func<DatasetKind, string?, CancellationToken, MnistDataset> loadData,
        Func<TrialContext, ITrainingObserver>? progress,
        IReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        return Create(loadData, context => progress is null
            ? new ITrainingObserver[] { TrialTracking.Tracker(context, reporter) }
            : new ITrainingObserver[] { progress(context), TrialTracking.Tracker(context, reporter) });
    }
}
