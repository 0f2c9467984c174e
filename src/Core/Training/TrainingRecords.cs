using MnistCnn.Core.Models;

namespace MnistCnn.Core.Training;

/// <summary>Metrics of one finished epoch (the record Start-CnnTraining writes each epoch).</summary>
public sealed record EpochResult(
    int Epoch,
    int Epochs,
    double Loss,
    double Accuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds,
    double ImagesPerSecond)
{
    /// <summary>How long the epoch took (<see cref="Seconds"/> as a TimeSpan).</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds(Seconds);

    /// <summary>A Keras-style progress line: <c>Epoch 1/5 - 12.3s - 4875 images/s - loss: 0.1793 - accuracy: 0.9443</c>.</summary>
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var line = string.Create(inv, $"Epoch {Epoch}/{Epochs} - {Seconds:F1}s - {ImagesPerSecond:N0} images/s - loss: {Loss:F4} - accuracy: {Accuracy:F4}");
        if (ValidationLoss is { } vl) line += string.Create(inv, $" - val_loss: {vl:F4}");
        if (ValidationAccuracy is { } va) line += string.Create(inv, $" - val_accuracy: {va:F4}");
        return line + string.Create(inv, $" - lr: {LearningRate:G3}");
    }
}

/// <summary>Loss, accuracy and the predictions behind them on one split.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, int Count, int[] Predicted, int[] Actual, float[] Confidence)
{
    /// <summary>Confusion matrix: [actual, predicted] counts.</summary>
    public int[,] ConfusionMatrix(int classes)
    {
        var m = new int[classes, classes];
        for (int i = 0; i < Predicted.Length; i++) m[Actual[i], Predicted[i]]++;
        return m;
    }
}

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    Running,
    Finished,
    Failed,
    Killed,
}

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

/// <summary>
/// Hooks a run calls as it goes; trackers (MLflow, local journal), reporters and result writers implement it.
/// Called on the training thread; implementations must be quick and must not throw for tracking failures.
/// </summary>
public interface ITrainingObserver
{
    void RunStarted(RunStartInfo run);
    void EpochCompleted(RunStartInfo run, EpochResult epoch);
    /// <summary>Called once at the end, whatever the status (Finished, Failed, Killed).</summary>
    void RunEnded(RunStartInfo run, TrainingResult result);
}
