using System.Globalization;

namespace MnistCnn.Core.Runs;

/// <summary>
/// The names of everything in a run folder, and the default run name. Only the <c>Runs</c> area writes
/// <see cref="Result"/>, <see cref="Checkpoint"/> and the lock; the journal belongs to Tracking's RunJournal and
/// <see cref="Experiment"/> / <see cref="Spec"/> to the experiment runner, but their names are stated here once.
/// </summary>
public static class RunFiles
{
    /// <summary>The run's record: settings, data, metrics per epoch, test metrics, status.</summary>
    public const string Result = "result.json";
    /// <summary>The append-only tracking journal, one JSON record per line.</summary>
    public const string Journal = "journal.jsonl";
    /// <summary>The state after the last finished epoch (replaced atomically after every epoch).</summary>
    public const string Checkpoint = "checkpoint";
    /// <summary>The saved model of a finished run.</summary>
    public const string Model = "model";
    /// <summary>The experiment runner's record of a trial.</summary>
    public const string Experiment = "experiment.json";
    /// <summary>The resolved spec of an experiment trial.</summary>
    public const string Spec = "spec.yaml";
    /// <summary>Locked (flock) by the one process writing the folder; the lock dies with that process.</summary>
    public const string Lock = ".lock";
    /// <summary>Who holds <see cref="Lock"/>: process id, host, since when (for the RunFolderInUse message).</summary>
    public const string LockOwner = ".lock-owner.json";

    /// <summary>Files that belong to the folder itself, not to the run in it (left in place when a run is moved aside).</summary>
    public static bool IsFolderFile(string name) => name is Lock or LockOwner;

    /// <summary>The default run name: the model's name and the UTC start time (one clock for every caller).</summary>
    public static string DefaultRunName(string modelName, DateTimeOffset startTime) =>
        string.Create(CultureInfo.InvariantCulture, $"{modelName}-{startTime.UtcDateTime:yyyyMMdd-HHmmss}");

    /// <summary>The run folder a resume path names: a run folder, or its checkpoint folder (or the checkpoint's .old copy).</summary>
    public static string RunFolderOf(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var name = Path.GetFileName(full);
        return name is Checkpoint or Checkpoint + IO.AtomicFolder.OldSuffix ? Path.GetDirectoryName(full)! : full;
    }

    /// <summary>runs/&lt;run name&gt; under $env:MNISTCNN_RUNS_DIR or <paramref name="currentDirectory"/>; never an existing folder (-2, -3, ... appended).</summary>
    public static string NewRunFolder(string currentDirectory, string runName)
    {
        var root = Environment.GetEnvironmentVariable("MNISTCNN_RUNS_DIR") is { Length: > 0 } dir ? dir : Path.Combine(currentDirectory, "runs");
        var folder = Path.Combine(root, runName);
        for (int i = 2; Directory.Exists(folder); i++) folder = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{runName}-{i}"));
        return folder;
    }

    /// <summary>How to go on after a stopped run: resume from its checkpoint, or nothing to resume from.</summary>
    public static string StoppedHint(string? folder, int epochsDone, int epochs, bool checkpoint) => folder is not null && epochsDone > 0 && checkpoint
        ? string.Create(CultureInfo.InvariantCulture, $"Training stopped after epoch {epochsDone} of {epochs}; the checkpoint is kept in {Path.Combine(folder, Checkpoint)}. Resume with: Start-CnnTraining -ResumeFrom '{folder}'")
        : "Training stopped before the first epoch ended; nothing to resume from.";
}
