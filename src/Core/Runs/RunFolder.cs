using System.Globalization;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Runs;

/// <summary>
/// A folder a new run is about to be written to. A folder that already holds a run (its result.json, journal,
/// checkpoint, model or experiment record) is never written over: the new run is refused with <see cref="RunsErrorIds.RunFolderNotEmpty"/>,
/// or, when forced, the earlier run is moved aside to <c>&lt;folder&gt;.replaced-&lt;UTC time&gt;</c> first (the
/// vocabulary and the behaviour of Invoke-CnnExperiment -Force).
/// </summary>
public static class RunFolder
{
    private static readonly string[] RunRecords =
    [
        RunFiles.Result, RunFiles.Journal, RunFiles.Checkpoint, RunFiles.Checkpoint + IO.AtomicFolder.OldSuffix, RunFiles.Model, RunFiles.Experiment,
    ];

    /// <summary>Whether <paramref name="folder"/> holds (part of) a run's record.</summary>
    public static bool HoldsRun(string folder) =>
        Directory.Exists(folder) && RunRecords.Any(name => Path.Exists(Path.Combine(folder, name)));

    /// <summary>
    /// Takes <paramref name="folder"/>'s lock for a new run (<see cref="RunsErrorIds.RunFolderInUse"/> while another process writes
    /// it) and checks, under the lock, that it holds no run: <see cref="RunsErrorIds.RunFolderNotEmpty"/> otherwise, leaving every file of
    /// the earlier run as it was; with <paramref name="force"/> the earlier run is moved aside instead, with a warning.
    /// Pass the lock to the trainer and dispose it after the run.
    /// </summary>
    public static RunLock ClaimForNewRun(string folder, bool force, IReporter? reporter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var held = RunLock.Acquire(folder, "training");
        try
        {
            if (HoldsRun(held.Folder))
            {
                if (!force)
                {
                    // -ResumeFrom is offered only where there is a checkpoint to continue from.
                    string resume = RunCheckpoint.Find(held.Folder) is not null ? $"Continue that run with -ResumeFrom '{held.Folder}', write" : "It has no checkpoint to resume from. Write";
                    throw new MnistCnnException(RunsErrorIds.RunFolderNotEmpty, ErrorKind.ResourceExists,
                        $"The run folder '{held.Folder}' already holds {Describe(held.Folder)}; a new run there would overwrite its record " +
                        $"(result.json, model, metrics). {resume} the new run to another -OutputPath, or add -Force to move the earlier " +
                        "run aside (to <folder>.replaced-<time>) and start afresh.", held.Folder);
                }
                string aside = MoveAside(held.Folder);
                (reporter ?? NullReporter.Instance).Warning($"The run folder {held.Folder} held an earlier run (-Force); it was moved to {aside}.");
            }
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Moves everything in <paramref name="folder"/> except the folder's own lock files to a new sibling folder
    /// <c>&lt;folder&gt;.replaced-&lt;UTC time&gt;</c> and returns its path. The caller holds the folder's lock.
    /// </summary>
    public static string MoveAside(string folder)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        string aside = folder + ".replaced-" + stamp;
        for (int i = 2; Path.Exists(aside); i++) aside = string.Create(CultureInfo.InvariantCulture, $"{folder}.replaced-{stamp}-{i}");
        Directory.CreateDirectory(aside);
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder).Where(e => !RunFiles.IsFolderFile(Path.GetFileName(e))).ToList())
        {
            string to = Path.Combine(aside, Path.GetFileName(entry));
            if (Directory.Exists(entry)) Directory.Move(entry, to);
            else File.Move(entry, to);
        }
        return aside;
    }

    private static string Describe(string folder)
    {
        try
        {
            var result = RunResultFile.Read(folder);
            if ((string?)result?["runName"] is { } name && (string?)result["status"] is { } status) return $"run '{name}' ({status.ToLowerInvariant()})";
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            // A damaged result.json still means the folder holds a run.
        }
        return "a run";
    }
}
