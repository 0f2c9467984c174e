using System.Management.Automation;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>What Start-CnnTraining says when a run stopped before its last epoch.</summary>
internal static class StoppedRun
{
    /// <summary>Says how to resume a stopped run; after a signal the stop also ends the script with TrainingStopped (scripts and schedulers see it).</summary>
    public static void Report(PSCmdlet cmdlet, TrainingResult result, string? signal)
    {
        string hint = RunFiles.StoppedHint(result.OutputPath, result.Epochs.Count, result.Options.Epochs, result.Options.Checkpoint);
        if (cmdlet.Stopping)
        {
            // Ctrl+C: the pipeline is stopping and takes no more records; the host still shows a line.
            try
            {
                cmdlet.Host.UI.WriteWarningLine(hint);
            }
            catch (Exception ex) when (ex is PipelineStoppedException or InvalidOperationException or IOException or NotImplementedException)
            {
            }
            return;
        }
        throw StopSignals.Stopped(cmdlet, $"{signal ?? "A stop request"} stopped the run. {hint}", result.OutputPath);
    }
}
