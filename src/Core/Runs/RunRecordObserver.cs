using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Runs;

/// <summary>
/// Keeps <see cref="RunFiles.Result"/> current: RUNNING when the run starts and after every epoch, then its final
/// status, metrics and error. The Trainer attaches it first for every run with an output folder.
/// </summary>
public sealed class RunRecordObserver(string folder, IReporter? reporter = null) : ITrainingObserver
{
    private readonly IReporter reporter = reporter ?? NullReporter.Instance;
    private readonly List<EpochResult> epochs = [];

    public void RunStarted(RunStartInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        epochs.Clear();
        epochs.AddRange(run.CompletedEpochs);
        RunResultFile.Write(folder, RunResultFile.ToJson(run, null, epochs, RunStatus.Running));
    }

    public void EpochCompleted(RunStartInfo run, EpochResult epoch)
    {
        epochs.Add(epoch);
        RunResultFile.Write(folder, RunResultFile.ToJson(run, null, epochs, RunStatus.Running));
    }

    public void RunEnded(RunStartInfo run, TrainingResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            RunResultFile.Write(folder, RunResultFile.ToJson(run, result, result.Epochs, result.Status));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MnistCnnException)
        {
            reporter.Warning($"Could not write {RunFiles.Result} in {folder}: {ex.Message}");
        }
    }
}
