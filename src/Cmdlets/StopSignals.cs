using System.Management.Automation;
using System.Runtime.InteropServices;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// SIGTERM (a scheduler's stop: Slurm, Kubernetes, kill) and SIGINT stop a training within a batch, as Ctrl+C does:
/// the checkpoint is kept and the run recorded KILLED. SIGTERM is handled (the process does not die at once) so the
/// cmdlet can end with a TrainingStopped error that names <see cref="Signal"/>.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly PosixSignalRegistration onTerm;
    private readonly PosixSignalRegistration onInt;

    public StopSignals(PipelineReporter pump)
    {
        onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Signal = "SIGTERM"; pump.Cancel(); });
        onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { Signal ??= "SIGINT"; pump.Cancel(); });
    }

    /// <summary>The signal that stopped the work (SIGTERM wins over SIGINT), or null.</summary>
    public string? Signal { get; private set; }

    /// <summary>
    /// The TrainingStopped error a signal ends a cmdlet with, to throw. It ends the script, not only the statement:
    /// a signal asks the process to stop, so a <c>pwsh -File</c> script must not go on to its next line (it exits 1).
    /// ThrowTerminatingError would end only the statement; an error marked as thrown ends the script as a script's
    /// own <c>throw</c> does, and try/catch and trap still see TrainingStopped (with the cmdlet's usual
    /// FullyQualifiedErrorId), so a script that handles it decides what follows.
    /// </summary>
    public static RuntimeException Stopped(Cmdlet cmdlet, string message, string? target)
    {
        var error = new MnistCnnException(CmdletErrorIds.TrainingStopped, ErrorKind.OperationStopped, message, target);
        // The id as PowerShell qualifies a cmdlet's own errors: "TrainingStopped,MnistCnn.Cmdlets.StartCnnTrainingCommand".
        string qualifiedId = string.Join(',', CmdletErrorIds.TrainingStopped, cmdlet.GetType().FullName);
        var record = new ErrorRecord(error, qualifiedId, ErrorCategory.OperationStopped, target);
        return new RuntimeException(message, error, record) { WasThrownFromThrowStatement = true };
    }

    public void Dispose()
    {
        onTerm.Dispose();
        onInt.Dispose();
    }
}
