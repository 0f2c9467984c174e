using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// Runs chosen trials of an experiment and hands back each trial's result as soon as it is known. Two
/// implementations: <see cref="ExperimentRunner"/> trains the trials one after another in this process;
/// <see cref="WorkerProcessTrials"/> starts one worker process per trial, several at once. Both skip trials that
/// already finished with the same spec (unless forced), report trials running elsewhere as running, and write
/// summary.json at the end.
/// </summary>
public interface ITrialExecutor
{
    /// <param name="plan">The experiment.</param>
    /// <param name="indexes">Trial indexes to run; null: all.</param>
    /// <param name="options">Force, thread override.</param>
    /// <param name="cancellationToken">Stops the running trials (their checkpoints stay for a resume).</param>
    /// <param name="completed">Called with each trial's result as soon as it is known.</param>
    IReadOnlyList<ExperimentTrialResult> Run(ExperimentPlan plan, IReadOnlyList<int>? indexes = null, ExperimentRunOptions? options = null,
        CancellationToken cancellationToken = default, Action<ExperimentTrialResult>? completed = null);
}
