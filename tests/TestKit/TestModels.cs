using MnistCnn.Core.Data;
using MnistCnn.Core.Models;

namespace MnistCnn.TestKit;

/// <summary>Models small enough to train in a test in a second or two.</summary>
internal static class TestModels
{
    /// <summary>A conv layer, pooling, dropout and two dense layers for 28x28 greyscale: every kind of state a checkpoint keeps.</summary>
    public static ModelSpec Small() => new(InputShape.Mnist, 10, new LayerSpec[]
    {
        new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DropoutSpec(0.2), new DenseSpec(16), new DenseSpec(10, Activation.Softmax),
    }, "small");
}
