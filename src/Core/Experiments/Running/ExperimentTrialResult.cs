using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Experiments.Sweeps;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Experiments.Running;

/// <summary>
/// The outcome of one trial, as Invoke-CnnExperiment outputs it. Sorts by <see cref="TestAccuracy"/> (missing
/// accuracy first), so <c>Sort-Object TestAccuracy</c> and <c>Sort-Object</c> both rank trials.
/// </summary>
public sealed class ExperimentTrialResult : IComparable<ExperimentTrialResult>, IComparable
{
    private bool skipped;

    public ExperimentTrialResult()
    {
    }

    /// <summary>
    /// A result of <paramref name="trial"/>: its identity (experiment, index, count, id, name, settings, run folder)
    /// from the trial, the status and the spec hash it ran with; the caller's initializer states the rest.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal ExperimentTrialResult(ExperimentTrial trial, RunStatus status, string specHash)
    {
        ArgumentNullException.ThrowIfNull(trial);
        Experiment = trial.Spec.Name;
        TrialIndex = trial.Index;
        TrialCount = trial.Count;
        TrialId = trial.Id;
        TrialName = trial.Name;
        Settings = trial.Settings;
        OutputPath = trial.OutputPath;
        Status = status;
        SpecHash = specHash;
    }

    public required string Experiment { get; init; }
    public required int TrialIndex { get; init; }
    public required int TrialCount { get; init; }
    public required string TrialId { get; init; }
    public required string TrialName { get; init; }
    public required IReadOnlyDictionary<string, object?> Settings { get; init; }
    public required RunStatus Status { get; init; }
    /// <summary>True when the trial had already finished with the same resolved spec and was not run again.</summary>
    public bool Skipped { get => skipped; init => skipped = value; }
    /// <summary>True when the trial continued from the checkpoint of an interrupted run.</summary>
    public bool Resumed { get; init; }
    public double? TestAccuracy { get; init; }
    public double? TestLoss { get; init; }
    public double? BestValidationAccuracy { get; init; }
    public int EpochsCompleted { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>Time spent training (<see cref="TrainSeconds"/> as a TimeSpan).</summary>
    public TimeSpan TrainTime => TimeSpan.FromSeconds(TrainSeconds);
    public string? RunId { get; init; }
    public string? Device { get; init; }
    public required string OutputPath { get; init; }
    public required string SpecHash { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    /// <summary>Start to end of the trial, when both are known.</summary>
    public TimeSpan? Duration => StartTime is { } s && EndTime is { } e && e >= s ? e - s : null;

    /// <summary>This result as output for a trial that is not run again (<see cref="Skipped"/> set; everything else the same).</summary>
    internal ExperimentTrialResult AsSkipped()
    {
        var copy = (ExperimentTrialResult)MemberwiseClone();
        copy.skipped = true;
        return copy;
    }

    public int CompareTo(ExperimentTrialResult? other)
    {
        if (other is null) return 1;
        int c = Nullable.Compare(TestAccuracy, other.TestAccuracy);
        return c != 0 ? c : TrialIndex.CompareTo(other.TrialIndex);
    }

    public int CompareTo(object? obj) => obj is ExperimentTrialResult r ? CompareTo(r)
        : obj is null ? 1 : throw new ArgumentException("Can only compare with another ExperimentTrialResult.", nameof(obj));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"[{TrialIndex}] {Experiment}/{TrialId}: {Status}{(TestAccuracy is { } a ? $", test accuracy {a:P2}" : "")}{(Skipped ? " (already finished)" : "")}");

    public override bool Equals(object? obj) => obj is ExperimentTrialResult r && r.Experiment == Experiment && r.TrialId == TrialId && r.SpecHash == SpecHash && r.Status == Status && r.TestAccuracy == TestAccuracy;

    public override int GetHashCode() => HashCode.Combine(Experiment, TrialId, SpecHash);

    public static bool operator <(ExperimentTrialResult? a, ExperimentTrialResult? b) => a is null ? b is not null : a.CompareTo(b) < 0;
    public static bool operator >(ExperimentTrialResult? a, ExperimentTrialResult? b) => a is not null && a.CompareTo(b) > 0;
    public static bool operator <=(ExperimentTrialResult? a, ExperimentTrialResult? b) => !(a > b);
    public static bool operator >=(ExperimentTrialResult? a, ExperimentTrialResult? b) => !(a < b);
    public static bool operator ==(ExperimentTrialResult? a, ExperimentTrialResult? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(ExperimentTrialResult? a, ExperimentTrialResult? b) => !(a == b);
}
