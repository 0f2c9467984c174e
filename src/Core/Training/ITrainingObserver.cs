namespace MnistCnn.Core.Training;

/// <summary>
/// Hooks a run calls as it goes; trackers (MLflow, local journal), reporters and result writers implement it.
/// Called on the training thread; implementations must be quick and must not throw for tracking failures.
/// </summary>
public interface ITrainingObserver
{
    void RunStarted(RunStartInfo run);
    void EpochCompleted(RunStartInfo run, EpochResult epoch);
    /// <summary>Called once at the end, whatever the status (Finished, Failed, Killed).</summary>
    void RunEnded(RunStartInfo run, TrainingResult result);
}
