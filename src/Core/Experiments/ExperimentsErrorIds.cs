using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Experiments;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the experiments area (specs, sweeps, the runner); tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class ExperimentsErrorIds
{
    /// <summary>An experiment spec has problems (each listed as file(line,col): error MNCxxxx: message); fix them and run again.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string ExperimentSpecInvalid = nameof(ExperimentSpecInvalid);
    /// <summary>-TrialIndex (or the scheduler's array index) is outside the sweep's trials; use 0 to the trial count minus 1 (Test-CnnExperiment lists them).</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string TrialIndexOutOfRange = nameof(TrialIndexOutOfRange);
    /// <summary>The scheduler's array index variable (MNISTCNN_TRIAL_INDEX, SLURM_ARRAY_TASK_ID, ...) is not a whole number 0 or above; fix the job's array settings.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string SchedulerIndexInvalid = nameof(SchedulerIndexInvalid);
    /// <summary>A trial of an experiment ended failed; the message gives its error and run folder: fix the cause and run the same command again to resume it.</summary>
    [ErrorKinds(ErrorKind.InvalidOperation)]
    public const string TrialFailed = nameof(TrialFailed);
    /// <summary>A worker was given a trial file that is missing or damaged; trial files are written by Invoke-CnnExperiment -ThrottleLimit, so run the spec itself.</summary>
    [ErrorKinds(ErrorKind.InvalidData, ErrorKind.ObjectNotFound)]
    public const string TrialFileInvalid = nameof(TrialFileInvalid);
}
