namespace MnistCnn.Core.Training;

/// <summary>
/// An observer (an <see cref="ITrainingObserver"/> passed to the trainer) that can end training early by a rule of its own (a user's script, a target accuracy). The trainer
/// asks every rule among its observers after each epoch, on the training thread, once the epoch has been reported.
/// Stopping this way is a normal end: the checkpoint of that epoch is written, the test set evaluated, the model
/// saved and the run Finished, as with early stopping.
/// </summary>
public interface ITrainingStopRule
{
    /// <summary>Why training should stop after <paramref name="epoch"/>, or null to go on.</summary>
    string? ShouldStop(RunStartInfo run, EpochResult epoch);
}
