using System.Runtime.InteropServices;

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

    public void Dispose()
    {
        onTerm.Dispose();
        onInt.Dispose();
    }
}
