using MnistCnn.Core.Models;

namespace MnistCnn.Core.Training;

/// <summary>The outcome of a training run.</summary>
public sealed class TrainingResult
{
    public required string RunId { get; init; }
    public required string RunName { get; init; }
    public required ModelSpec Model { get; init; }
    public required TrainingOptions Options { get; init; }
    public required string Dataset { get; init; }
    public required IReadOnlyList<EpochResult> Epochs { get; init; }
    public EvaluationResult? Test { get; init; }
    public double? TestLoss => Test?.Loss;
    public double? TestAccuracy => Test?.Accuracy;
    public required RunStatus Status { get; init; }
    public required string Device { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public required DateTimeOffset EndTime { get; init; }
    public string? OutputPath { get; init; }
    /// <summary>Saved model folder (OutputPath/model) when written.</summary>
    public string? ModelPath { get; init; }
    public string? Error { get; init; }
    /// <summary>The trained network (null when the run failed); dispose it when done.</summary>
    public TrainedModel? TrainedModel { get; init; }
    public double TrainSeconds => Epochs.Sum(e => e.Seconds);
    /// <summary>Time spent training the epochs (<see cref="TrainSeconds"/> as a TimeSpan).</summary>
    public TimeSpan TrainTime => TimeSpan.FromSeconds(TrainSeconds);
    /// <summary>The whole run: start to end, evaluation and saving included.</summary>
    public TimeSpan Duration => EndTime - StartTime;
}
