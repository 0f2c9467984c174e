using MnistCnn.Core.Data;
using MnistCnn.Core.Models;

namespace MnistCnn.Bench;

/// <summary>Architectures tried in the fast-recipe search (docs/performance.md); the winner is Core's fast-mnist preset.</summary>
internal static class Candidates
{
    /// <summary>A candidate ("x-a" ... "x-g") or, for any other name, Core's preset of that name.</summary>
    public static ModelSpec Create(string name, InputShape? input = null, int classes = 10) =>
        Builders.TryGetValue(name, out var build) ? build(input ?? InputShape.Mnist, classes) : ModelPresets.Create(name, input, classes);

    private static readonly Dictionary<string, Func<InputShape, int, ModelSpec>> Builders = new(StringComparer.OrdinalIgnoreCase)
    {
        // a: 16 -> 32 filters, batch norm after pooling (4x fewer elements to normalise than before it).
        ["x-a"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(16), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(classes, Activation.Softmax),
        }, "x-a"),
        // b: 32 -> 64 filters (the tutorial's first two convolutions), batch norm, straight to the classifier.
        ["x-b"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(64), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(classes, Activation.Softmax),
        }, "x-b"),
        // c: LeNet-like 5x5 kernels, 16 -> 32 filters.
        ["x-c"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(16, 5, 5), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(32, 5, 5), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(classes, Activation.Softmax),
        }, "x-c"),
        // d: 24 -> 48 filters, 3x3.
        ["x-d"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(24), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(48), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(classes, Activation.Softmax),
        }, "x-d"),
        // f: a with a Dense 64 relu head (51k multiply-adds more per image).
        ["x-f"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(16), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(64), new DenseSpec(classes, Activation.Softmax),
        }, "x-f"),
        // g: the tutorial's shape at half the filters, with batch norm.
        ["x-g"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(16), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(64), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(classes, Activation.Softmax),
        }, "x-g"),
        // h: fast-mnist with 8 first-layer filters (the second convolution's work halves): Core's fast-mnist-lite.
        ["x-h"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(8), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(64), new DenseSpec(classes, Activation.Softmax),
        }, "x-h"),
        // i: fast-mnist with 24 second-layer filters.
        ["x-i"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(16), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(24), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(64), new DenseSpec(classes, Activation.Softmax),
        }, "x-i"),
        // j: 8 -> 16 filters with the Dense 64 head.
        ["x-j"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(8), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new Conv2DSpec(16), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(64), new DenseSpec(classes, Activation.Softmax),
        }, "x-j"),
        // k: fast-mnist without batch norm after the first pooling.
        ["x-k"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(16), new MaxPool2DSpec(),
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(64), new DenseSpec(classes, Activation.Softmax),
        }, "x-k"),
        // l: fast-mnist-lite with a stride-2 first convolution instead of convolution + max pooling (a quarter of
        // the first layer's outputs, no first pooling).
        ["x-l"] = (input, classes) => new ModelSpec(input, classes, new LayerSpec[]
        {
            new Conv2DSpec(8, StrideHeight: 2, StrideWidth: 2), new BatchNormSpec(0.9),
            new Conv2DSpec(32), new MaxPool2DSpec(), new BatchNormSpec(0.9),
            new FlattenSpec(), new DenseSpec(64), new DenseSpec(classes, Activation.Softmax),
        }, "x-l"),
    };
}
