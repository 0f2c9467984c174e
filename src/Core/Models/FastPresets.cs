using MnistCnn.Core.Data;
namespace MnistCnn.Core.Models;

/// <summary>
/// The fast recipes' models (docs/performance.md). <see cref="FastMnist"/>: about 99.1% MNIST test accuracy after two
/// epochs at a fraction of the tutorial model's cost. Two small convolutions, each followed by max pooling and then
/// batch normalisation (normalising after pooling touches 4x fewer values), a Dense 64 head and the classifier.
/// Train it with Adam, batch 128, one-cycle learning rate (0.001 rising to 0.01), 2 epochs.
/// <see cref="FastMnistLite"/>: the same with 8 first-layer filters, which halves the second convolution's work;
/// the model of <c>experiments/fast.yaml</c> (one epoch, label smoothing 0.1, one-cycle peak 0.02).
/// </summary>
public static class FastPresets
{
    public const string FastMnist = "fast-mnist";
    public const string FastMnistLite = "fast-mnist-lite";

    /// <summary>Conv 8 3x3 relu, MaxPool 2, BatchNorm, Conv 32 3x3 relu, MaxPool 2, BatchNorm, Flatten, Dense 64 relu, Dense softmax.</summary>
    public static ModelSpec CreateLite(InputShape input, int classes) => Build(input, classes, firstFilters: 8, FastMnistLite);

    /// <summary>Conv 16 3x3 relu, MaxPool 2, BatchNorm, Conv 32 3x3 relu, MaxPool 2, BatchNorm, Flatten, Dense 64 relu, Dense softmax.</summary>
    public static ModelSpec Create(InputShape input, int classes) => Build(input, classes, firstFilters: 16, FastMnist);

    private static ModelSpec Build(InputShape input, int classes, int firstFilters, string name) => new(input, classes, new LayerSpec[]
    {
        new Conv2DSpec(firstFilters),
        new MaxPool2DSpec(),
        // Keras momentum 0.9 (PyTorch 0.1): running statistics keep up with the weights over a short run.
        new BatchNormSpec(Momentum: 0.9),
        new Conv2DSpec(32),
        new MaxPool2DSpec(),
        new BatchNormSpec(Momentum: 0.9),
        new FlattenSpec(),
        new DenseSpec(64),
        new DenseSpec(classes, Activation.Softmax),
    }, name);
}
