using System.Management.Automation;
using MnistCnn.Core.Training;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Start-CnnTraining -OnEpochEnd: runs the user's script block after each epoch on the pipeline thread (where
/// PowerShell allows it to run), while the training thread waits for its verdict; an output of $false stops
/// training after that epoch. A failing block is reported as an error and training goes on; Ctrl+C ends the wait.
/// </summary>
internal sealed class EpochScript(PipelineReporter pump, ScriptBlock block) : ITrainingObserver, ITrainingStopRule
{
    public void RunStarted(RunStartInfo run) { }

    public void EpochCompleted(RunStartInfo run, EpochResult epoch) { }

    public void RunEnded(RunStartInfo run, TrainingResult result) { }

    public string? ShouldStop(RunStartInfo run, EpochResult epoch)
    {
        var verdict = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        pump.Post(cmdlet =>
        {
            bool stop = false;
            try
            {
                stop = Invoke(cmdlet, epoch);
            }
            finally
            {
                verdict.TrySetResult(stop);
            }
        });
        try
        {
            verdict.Task.Wait(pump.Token);
        }
        catch (OperationCanceledException)
        {
            return null; // Ctrl+C: the trainer sees the cancellation itself.
        }
        return verdict.Task.Result ? $"-OnEpochEnd returned $false after epoch {epoch.Epoch}." : null;
    }

    private bool Invoke(Cmdlet cmdlet, EpochResult epoch)
    {
        try
        {
            var output = block.InvokeWithContext(null, [new PSVariable("_", epoch)], epoch);
            return output.Any(o => o?.BaseObject is false);
        }
        catch (RuntimeException ex) when (ex is not PipelineStoppedException && !cmdlet.Stopping)
        {
            cmdlet.WriteError(new ErrorRecord(ex, CmdletErrorIds.OnEpochEndFailed, ex.ErrorRecord?.CategoryInfo.Category ?? ErrorCategory.NotSpecified, epoch)
            {
                ErrorDetails = new ErrorDetails($"-OnEpochEnd failed after epoch {epoch.Epoch}: {ex.Message} Training goes on; fix the script block to use it."),
            });
            return false;
        }
    }
}
