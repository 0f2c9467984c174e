using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Runs;

/// <summary>
/// The stable ErrorIds (<see cref="MnistCnnException.ErrorId"/>) of the run folder and the trainer over it; tests and scripts match on them, so
/// never rename one. docs/error-ids.md lists every id of every area.
/// </summary>
public static class RunsErrorIds
{
    /// <summary>A resume (-ResumeFrom) gives settings that differ from the ones the run started with; keep them (only -Epochs may grow), or start a new run.</summary>
    [ErrorKinds(ErrorKind.InvalidArgument)]
    public const string ResumeSettingsConflict = nameof(ResumeSettingsConflict);
    /// <summary>-ResumeFrom names a folder with no checkpoint; pass the run folder given to -OutputPath.</summary>
    [ErrorKinds(ErrorKind.ObjectNotFound)]
    public const string CheckpointNotFound = nameof(CheckpointNotFound);
    /// <summary>A checkpoint file is damaged; resume from an intact run folder, or start the run again in a new -OutputPath.</summary>
    [ErrorKinds(ErrorKind.InvalidData)]
    public const string CheckpointInvalid = nameof(CheckpointInvalid);
    /// <summary>Another process is writing the run folder (its lock is held); wait for it or stop it, then resume, or use another folder.</summary>
    [ErrorKinds(ErrorKind.ResourceUnavailable)]
    public const string RunFolderInUse = nameof(RunFolderInUse);
    /// <summary>A new run's -OutputPath already holds a run; continue it with -ResumeFrom, pick another folder, or -Force to move it aside.</summary>
    [ErrorKinds(ErrorKind.ResourceExists)]
    public const string RunFolderNotEmpty = nameof(RunFolderNotEmpty);
}
