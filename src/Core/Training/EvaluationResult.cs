namespace MnistCnn.Core.Training;

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
