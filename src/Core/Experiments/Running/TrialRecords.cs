using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Experiments.Sweeps;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>What a trial's folder said when it was read: its experiment.json record, and the result to report when the trial can be skipped.</summary>
/// <param name="Previous">The record an earlier attempt left (null: none, or unreadable).</param>
/// <param name="Finished">The earlier result when the trial finished with the same spec (and its result.json agrees); null otherwise.</param>
public sealed record TrialRecord(ExperimentTrialResult? Previous, ExperimentTrialResult? Finished);

/// <summary>
/// Reads each trial's record files (experiment.json and, when that says finished, result.json) once for a whole
/// invocation: describing a trial for -WhatIf or -Confirm, the executors' check for finished trials and the runner's
/// check under the trial folder's lock all ask here. An answer is reused while both files keep the length and write
/// time they had when read; a file that changed since (another process ran the trial meanwhile) is read again, so a
/// decision under the lock always sees the folder as it is.
/// </summary>
public sealed class TrialRecords
{
    private readonly Func<string, string?> readText;
    private readonly ConcurrentDictionary<string, (Stamp Record, Stamp Result, TrialRecord Read)> known = new(StringComparer.Ordinal);

    /// <param name="readText">Reads a file's text, null when it does not exist (tests count the reads); default: the file system.</param>
    public TrialRecords(Func<string, string?>? readText = null) =>
        this.readText = readText ?? (path => File.Exists(path) ? File.ReadAllText(path) : null);

    /// <summary>The record of <paramref name="trial"/>'s folder, read now or reused when its files have not changed.</summary>
    public TrialRecord Of(ExperimentTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        string recordPath = Path.Combine(trial.OutputPath, ExperimentRecordFile.FileName);
        string resultPath = Path.Combine(trial.OutputPath, RunResultFile.FileName);
        var stamps = (Record: Stamp.Of(recordPath), Result: Stamp.Of(resultPath));
        if (known.TryGetValue(Key(trial), out var seen) && seen.Record == stamps.Record && seen.Result == stamps.Result)
        {
            return seen.Read;
        }
        var previous = ExperimentRecordFile.FromJson(trial, ParseRecord(readText(recordPath)));
        var read = new TrialRecord(previous, FinishedResult(trial, previous, resultPath));
        known[Key(trial)] = (stamps.Record, stamps.Result, read);
        return read;
    }

    private static string Key(ExperimentTrial trial) => trial.OutputPath + "\n" + trial.SpecHash;

    private static JsonObject? ParseRecord(string? text)
    {
        if (text is null) return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The finished result of a trial given its record, when it can be skipped: finished with the same spec hash, and no result.json that says otherwise.</summary>
    private ExperimentTrialResult? FinishedResult(ExperimentTrial trial, ExperimentTrialResult? previous, string resultPath)
    {
        if (previous is null || previous.Status != Training.RunStatus.Finished || previous.SpecHash != trial.SpecHash) return null;
        if (readText(resultPath) is { } text && JsonNode.Parse(text) is JsonObject result
            && !string.Equals((string?)result["status"], "FINISHED", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        return previous.AsSkipped();
    }

    /// <summary>A file's length and last write time (ticks, UTC); a missing file has length -1.</summary>
    private readonly record struct Stamp(long Length, long WriteTicks)
    {
        public static Stamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new Stamp(info.Length, info.LastWriteTimeUtc.Ticks) : new Stamp(-1, 0);
        }
    }
}
