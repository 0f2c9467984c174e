namespace MnistCnn.Core.Prediction;

/// <summary>A class and its probability.</summary>
public sealed record ClassProbability(int Label, string ClassName, double Probability)
{
    public override string ToString() => $"{ClassName}: {Probability:P1}";
}

/// <summary>One prediction: where the image came from, the predicted class, its confidence and the top three.</summary>
public sealed record Prediction(
    string Source,
    int? Index,
    int Label,
    string ClassName,
    double Confidence,
    IReadOnlyList<ClassProbability> Top,
    int? Actual)
{
    /// <summary>Whether the prediction matches the known label (null when no label is known).</summary>
    public bool? Correct => Actual is { } a ? a == Label : null;

    /// <summary>
    /// The image holds no ink (<see cref="Data.ImagePreprocessor.IsBlank"/>): the label is the model's guess for an empty
    /// picture, not a reading of a digit.
    /// </summary>
    public bool Blank { get; init; }
}
