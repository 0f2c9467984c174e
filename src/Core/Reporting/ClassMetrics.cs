namespace MnistCnn.Core.Reporting;

/// <summary>
/// Precision, recall and F1 of one class from a confusion matrix ([actual, predicted] counts). Precision is
/// null when the model never predicted the class; recall is null when the class never occurs.
/// </summary>
public sealed record ClassMetrics(int Class, string Name, int Support, int Predicted, int Correct, double? Precision, double? Recall, double? F1)
{
    /// <summary>One row per class, in class order.</summary>
    public static IReadOnlyList<ClassMetrics> FromConfusion(int[,] matrix, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(classNames);
        int n = matrix.GetLength(0);
        var rows = new List<ClassMetrics>(n);
        for (int k = 0; k < n; k++)
        {
            int support = 0, predicted = 0;
            for (int j = 0; j < n; j++)
            {
                support += matrix[k, j];
                predicted += matrix[j, k];
            }
            int correct = matrix[k, k];
            double? precision = predicted == 0 ? null : (double)correct / predicted;
            double? recall = support == 0 ? null : (double)correct / support;
            double? f1 = precision is { } p && recall is { } r ? (p + r == 0 ? 0 : 2 * p * r / (p + r)) : null;
            rows.Add(new ClassMetrics(k, ImageGrid.LabelName(k, classNames), support, predicted, correct, precision, recall, f1));
        }
        return rows;
    }
}
