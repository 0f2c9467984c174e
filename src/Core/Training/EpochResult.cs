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
