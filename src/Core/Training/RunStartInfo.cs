using MnistCnn.Core.Models;

namespace MnistCnn.Core.Training;

/// <summary>What a run is, known when it starts: for trackers and result files.</summary>
public sealed record RunStartInfo(
    string RunId,
    string RunName,
    ModelSpec Model,
    TrainingOptions Options,
    string Dataset,
    IReadOnlyDictionary<string, string> DataChecksums,
    int TrainCount,
    int ValidationCount,
    int TestCount,
    string Device,
    DateTimeOffset StartTime,
    string? OutputPath,
    int StartEpoch)
{
    /// <summary>The epochs a resumed run finished before (empty for a new run), in order.</summary>
    public IReadOnlyList<EpochResult> CompletedEpochs { get; init; } = [];
}
