using System.Management.Automation;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// The epoch observer of Start-CnnTraining and Invoke-CnnExperiment: each finished epoch as a Keras-style host line
/// (an information record tagged <see cref="EpochTag"/>; -InformationAction Ignore hides it, -InformationVariable
/// collects it), and the run's start and test accuracy as verbose lines.
/// </summary>
internal sealed class EpochLines : ITrainingObserver
{
    /// <summary>Information-stream tag on every epoch record (PSHOST makes the line show like Write-Host).</summary>
    public const string EpochTag = "MnistCnn.Epoch";

    private readonly PipelineReporter pump;
    private readonly string source;
    private readonly string? prefix;

    private EpochLines(PipelineReporter pump, string source, string? prefix)
    {
        this.pump = pump;
        this.source = source;
        this.prefix = prefix;
    }

    /// <summary>One run of Start-CnnTraining: the records carry the <see cref="EpochResult"/> objects.</summary>
    public static EpochLines ForRun(PipelineReporter pump) => new(pump, "Start-CnnTraining", null);

    /// <summary>One trial of Invoke-CnnExperiment: the lines are tagged with the spec name (and trial, in a sweep).</summary>
    public static EpochLines ForTrial(PipelineReporter pump, ExperimentTrial trial) =>
        new(pump, "Invoke-CnnExperiment", trial.Count > 1 ? $"[{trial.Spec.Name} {trial.Index}/{trial.Count} {trial.Id}] " : $"[{trial.Spec.Name}] ");

    public void RunStarted(RunStartInfo run) => pump.Verbose(prefix is null
        ? $"Run {run.RunName} ({run.RunId}) on {run.Device}: {run.TrainCount} training, {run.ValidationCount} validation, {run.TestCount} test images."
        : $"{prefix}run {run.RunId} on {run.Device}: {run.TrainCount} training, {run.ValidationCount} validation, {run.TestCount} test images.");

    public void EpochCompleted(RunStartInfo run, EpochResult epoch)
    {
        object message = prefix is null ? epoch : prefix + epoch;
        pump.Post(c => c.WriteInformation(new InformationRecord(message, source) { Tags = { "PSHOST", EpochTag } }));
    }

    public void RunEnded(RunStartInfo run, TrainingResult result)
    {
        if (result.TestAccuracy is { } accuracy) pump.Verbose($"{prefix ?? ""}{(prefix is null ? "Test" : "test")} accuracy {accuracy:P2}, test loss {result.TestLoss:F4}.");
    }
}
