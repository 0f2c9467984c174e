using MnistCnn.Core.Data;
namespace MnistCnn.Core.Models;

/// <summary>Named architectures users can ask for by name (New-CnnModel -Preset, a spec's model.preset).</summary>
public static class ModelPresets
{
    /// <summary>The tutorial's Keras CNN: 93,322 parameters for 28x28x1 input and 10 classes.</summary>
    public const string KerasSeed = "keras-seed";

    private static readonly Dictionary<string, Func<InputShape, int, ModelSpec>> Builders = new(StringComparer.OrdinalIgnoreCase)
    {
        [KerasSeed] = Tutorial,
        [FastPresets.FastMnist] = FastPresets.Create,
        [FastPresets.FastMnistLite] = FastPresets.CreateLite,
    };

    public static IEnumerable<string> Names => Builders.Keys.Order(StringComparer.Ordinal);

    public static bool Exists(string name) => Builders.ContainsKey(name);

    public static ModelSpec Create(string name, InputShape? input = null, int classes = 10)
    {
        if (!Builders.TryGetValue(name, out var builder))
        {
            throw new Diagnostics.MnistCnnException(ModelsErrorIds.UnknownModelPreset, Diagnostics.ErrorKind.InvalidArgument,
                $"There is no model preset '{name}'. Known presets: {string.Join(", ", Names)}.", name);
        }
        return builder(input ?? InputShape.Mnist, classes);
    }

    /// <summary>Conv 32 3x3 relu, MaxPool 2, Conv 64 3x3 relu, MaxPool 2, Conv 64 3x3 relu, Flatten, Dense 64 relu, Dense softmax.</summary>
    public static ModelSpec Tutorial(InputShape input, int classes) => new(input, classes, new LayerSpec[]
    {
        new Conv2DSpec(32),
        new MaxPool2DSpec(),
        new Conv2DSpec(64),
        new MaxPool2DSpec(),
        new Conv2DSpec(64),
        new FlattenSpec(),
        new DenseSpec(64),
        new DenseSpec(classes, Activation.Softmax),
    }, KerasSeed);
}
