using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Models;

/// <summary>A layer's output shape during shape inference: feature maps (H, W, C) or a flat vector.</summary>
public sealed record TensorShape(int Height, int Width, int Channels, bool IsFlat)
{
    public static TensorShape Maps(int h, int w, int c) => new(h, w, c, false);
    public static TensorShape Vector(int n) => new(1, 1, n, true);
    public int Elements => Height * Width * Channels;
    public override string ToString() =>
        IsFlat ? Channels.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{Height}x{Width}x{Channels}");
}

/// <summary>One row of a Keras-style model summary.</summary>
public sealed record LayerSummary(int Index, string Name, string Type, string Description, TensorShape OutputShape, long Parameters, long TrainableParameters);

/// <summary>A problem with a layer stack, pointing at the layer (0-based) it is about.</summary>
public sealed record ModelProblem(int LayerIndex, string Message);

/// <summary>
/// A model architecture: input shape, class count and layers. Everything needed to build, summarise, save and
/// rebuild a <see cref="CnnModel"/>.
/// </summary>
public sealed record ModelSpec
{
    public ModelSpec(InputShape input, int classes, IReadOnlyList<LayerSpec> layers, string name = "custom")
    {
        Input = input;
        Classes = classes;
        Layers = layers;
        Name = name;
    }

    public InputShape Input { get; init; }
    public int Classes { get; init; }
    public IReadOnlyList<LayerSpec> Layers { get; init; }
    public string Name { get; init; }

    /// <summary>Checks every layer's arguments and that the shapes fit; returns every problem found.</summary>
    public IReadOnlyList<ModelProblem> Validate()
    {
        var problems = new List<ModelProblem>();
        Infer(problems);
        return problems;
    }

    /// <summary>Keras-style summary rows. Throws <see cref="MnistCnnException"/> (ModelShapeInvalid) when the stack does not fit.</summary>
    public IReadOnlyList<LayerSummary> Summarize()
    {
        var problems = new List<ModelProblem>();
        var rows = Infer(problems);
        if (problems.Count > 0)
        {
            throw new MnistCnnException(ModelsErrorIds.ModelShapeInvalid, ErrorKind.InvalidArgument,
                "The model's layers do not fit together: " + string.Join("; ", problems.Select(p => $"layer {p.LayerIndex + 1}: {p.Message}")) +
                ". Change the layer arguments or the input shape.", Name);
        }
        return rows;
    }

    public long ParameterCount => Summarize().Sum(r => r.Parameters);

    /// <summary>Spatial output size of a convolution or pooling window, Keras rules.</summary>
    public static int OutputSize(int input, int window, int stride, Padding padding) =>
        padding == Padding.Same ? (input + stride - 1) / stride : ((input - window) / stride) + 1;

    /// <summary>Total padding Keras/TensorFlow adds for <c>Same</c>; the extra pixel goes bottom/right.</summary>
    public static int SamePaddingTotal(int input, int window, int stride)
    {
        int output = (input + stride - 1) / stride;
        return Math.Max(((output - 1) * stride) + window - input, 0);
    }

    private List<LayerSummary> Infer(List<ModelProblem> problems)
    {
        var rows = new List<LayerSummary>();
        if (Input.Height < 1 || Input.Width < 1 || Input.Channels < 1)
        {
            problems.Add(new ModelProblem(-1, $"input shape {Input} must be positive in every dimension"));
            return rows;
        }
        if ((long)Input.Height * Input.Width * Input.Channels > int.MaxValue)
        {
            problems.Add(new ModelProblem(-1, $"input shape {Input} is larger than one tensor can hold"));
            return rows;
        }
        if (Classes < 2)
        {
            problems.Add(new ModelProblem(-1, $"class count {Classes} must be at least 2"));
        }
        if (Layers.Count == 0)
        {
            problems.Add(new ModelProblem(-1, "the model has no layers"));
            return rows;
        }

        var shape = TensorShape.Maps(Input.Height, Input.Width, Input.Channels);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        // After a layer that does not fit, its output shape is unknown: the later layers still get their own
        // arguments checked, so every problem of the stack is reported at once.
        bool shapeKnown = true;
        for (int i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            if (!shapeKnown)
            {
                CheckArguments(i, layer, problems);
                continue;
            }
            int problemsBefore = problems.Count;
            counts.TryGetValue(layer.Kind, out int seen);
            counts[layer.Kind] = seen + 1;
            string name = seen == 0 ? layer.Kind : string.Create(CultureInfo.InvariantCulture, $"{layer.Kind}_{seen}");
            long parameters = 0, trainable = 0;
            TensorShape? next = null;
            switch (layer)
            {
                case Conv2DSpec c:
                    if (c.Filters < 1) problems.Add(new ModelProblem(i, $"filters must be at least 1 (got {c.Filters})"));
                    if (c.KernelHeight < 1 || c.KernelWidth < 1) problems.Add(new ModelProblem(i, $"kernel size must be at least 1 (got {c.KernelHeight}x{c.KernelWidth})"));
                    if (c.StrideHeight < 1 || c.StrideWidth < 1) problems.Add(new ModelProblem(i, $"strides must be at least 1 (got {c.StrideHeight}x{c.StrideWidth})"));
                    if (shape.IsFlat) { problems.Add(new ModelProblem(i, "Conv2D needs feature maps but gets a flat vector (put it before Flatten)")); break; }
                    if (c.Filters < 1 || c.KernelHeight < 1 || c.KernelWidth < 1 || c.StrideHeight < 1 || c.StrideWidth < 1) break;
                    if (c.Padding == Padding.Valid && (c.KernelHeight > shape.Height || c.KernelWidth > shape.Width))
                    {
                        problems.Add(new ModelProblem(i, $"kernel {c.KernelHeight}x{c.KernelWidth} is larger than its {shape.Height}x{shape.Width} input (use padding Same or a smaller kernel)"));
                        break;
                    }
                    next = TensorShape.Maps(OutputSize(shape.Height, c.KernelHeight, c.StrideHeight, c.Padding),
                        OutputSize(shape.Width, c.KernelWidth, c.StrideWidth, c.Padding), c.Filters);
                    parameters = trainable = ((long)c.KernelHeight * c.KernelWidth * shape.Channels * c.Filters) + c.Filters;
                    break;
                case MaxPool2DSpec m:
                    next = Pool(i, shape, m.PoolHeight, m.PoolWidth, m.EffectiveStrideHeight, m.EffectiveStrideWidth, m.Padding, "MaxPool2D", problems);
                    break;
                case AvgPool2DSpec a:
                    next = Pool(i, shape, a.PoolHeight, a.PoolWidth, a.EffectiveStrideHeight, a.EffectiveStrideWidth, a.Padding, "AvgPool2D", problems);
                    break;
                case FlattenSpec:
                    next = TensorShape.Vector(shape.Elements);
                    break;
                case DenseSpec d:
                    if (d.Units < 1) { problems.Add(new ModelProblem(i, $"units must be at least 1 (got {d.Units})")); break; }
                    if (!shape.IsFlat)
                    {
                        problems.Add(new ModelProblem(i, $"Dense needs a flat vector but gets {shape} feature maps (add a Flatten layer before it)"));
                        next = TensorShape.Vector(d.Units); // what it would give after a Flatten, so the layers after it are still checked
                        break;
                    }
                    next = TensorShape.Vector(d.Units);
                    parameters = trainable = ((long)shape.Channels * d.Units) + d.Units;
                    break;
                case DropoutSpec dr:
                    if (dr.Rate < 0 || dr.Rate >= 1) problems.Add(new ModelProblem(i, $"dropout rate must be in [0, 1) (got {dr.Rate.ToString(CultureInfo.InvariantCulture)})"));
                    next = shape;
                    break;
                case BatchNormSpec bn:
                    if (bn.Momentum <= 0 || bn.Momentum >= 1) problems.Add(new ModelProblem(i, $"batch-norm momentum must be in (0, 1) (got {bn.Momentum.ToString(CultureInfo.InvariantCulture)})"));
                    if (bn.Epsilon <= 0) problems.Add(new ModelProblem(i, $"batch-norm epsilon must be positive (got {bn.Epsilon.ToString(CultureInfo.InvariantCulture)})"));
                    next = shape;
                    // Keras counts gamma, beta, moving mean and moving variance; only the first two train.
                    parameters = 4L * shape.Channels;
                    trainable = 2L * shape.Channels;
                    break;
                default:
                    problems.Add(new ModelProblem(i, $"unknown layer type {layer.GetType().Name}"));
                    break;
            }
            if (next is null)
            {
                shapeKnown = false;
                continue;
            }
            long elements = (long)next.Height * next.Width * next.Channels;
            if (elements > int.MaxValue)
            {
                problems.Add(new ModelProblem(i, string.Create(CultureInfo.InvariantCulture, $"{layer.Describe()} gives {next} = {elements} values per example, more than {int.MaxValue}")));
                shapeKnown = false;
                continue;
            }
            if (next.Elements < 1)
            {
                problems.Add(new ModelProblem(i, $"{layer.Describe()} shrinks its {shape} input to nothing"));
                shapeKnown = false;
                continue;
            }
            if (problems.Count > problemsBefore)
            {
                shape = next;
                continue;
            }
            rows.Add(new LayerSummary(i, name, layer.GetType().Name.Replace("Spec", "", StringComparison.Ordinal), layer.Describe(), next, parameters, trainable));
            shape = next;
        }
        if (!shapeKnown) return rows;
        if (!shape.IsFlat)
        {
            problems.Add(new ModelProblem(Layers.Count - 1, $"the model ends in {shape} feature maps; end it with Flatten and Dense {Classes}"));
        }
        else if (shape.Channels != Classes)
        {
            problems.Add(new ModelProblem(Layers.Count - 1, $"the last layer has {shape.Channels} outputs but the data has {Classes} classes"));
        }
        return rows;
    }

    /// <summary>The checks of a layer that need no input shape (used after an earlier layer did not fit).</summary>
    private static void CheckArguments(int i, LayerSpec layer, List<ModelProblem> problems)
    {
        switch (layer)
        {
            case Conv2DSpec c:
                if (c.Filters < 1) problems.Add(new ModelProblem(i, $"filters must be at least 1 (got {c.Filters})"));
                if (c.KernelHeight < 1 || c.KernelWidth < 1) problems.Add(new ModelProblem(i, $"kernel size must be at least 1 (got {c.KernelHeight}x{c.KernelWidth})"));
                if (c.StrideHeight < 1 || c.StrideWidth < 1) problems.Add(new ModelProblem(i, $"strides must be at least 1 (got {c.StrideHeight}x{c.StrideWidth})"));
                break;
            case MaxPool2DSpec m:
                CheckPoolArguments(i, m.PoolHeight, m.PoolWidth, m.EffectiveStrideHeight, m.EffectiveStrideWidth, problems);
                break;
            case AvgPool2DSpec a:
                CheckPoolArguments(i, a.PoolHeight, a.PoolWidth, a.EffectiveStrideHeight, a.EffectiveStrideWidth, problems);
                break;
            case DenseSpec d when d.Units < 1:
                problems.Add(new ModelProblem(i, $"units must be at least 1 (got {d.Units})"));
                break;
            case DropoutSpec dr when dr.Rate < 0 || dr.Rate >= 1:
                problems.Add(new ModelProblem(i, $"dropout rate must be in [0, 1) (got {dr.Rate.ToString(CultureInfo.InvariantCulture)})"));
                break;
            case BatchNormSpec bn:
                if (bn.Momentum <= 0 || bn.Momentum >= 1) problems.Add(new ModelProblem(i, $"batch-norm momentum must be in (0, 1) (got {bn.Momentum.ToString(CultureInfo.InvariantCulture)})"));
                if (bn.Epsilon <= 0) problems.Add(new ModelProblem(i, $"batch-norm epsilon must be positive (got {bn.Epsilon.ToString(CultureInfo.InvariantCulture)})"));
                break;
        }
    }

    private static void CheckPoolArguments(int i, int ph, int pw, int sh, int sw, List<ModelProblem> problems)
    {
        if (ph < 1 || pw < 1) problems.Add(new ModelProblem(i, $"pool size must be at least 1 (got {ph}x{pw})"));
        if (sh < 1 || sw < 1) problems.Add(new ModelProblem(i, $"strides must be at least 1 (got {sh}x{sw})"));
    }

    private static TensorShape? Pool(int i, TensorShape shape, int ph, int pw, int sh, int sw, Padding padding, string what, List<ModelProblem> problems)
    {
        if (shape.IsFlat) { problems.Add(new ModelProblem(i, $"{what} needs feature maps but gets a flat vector (put it before Flatten)")); return null; }
        if (ph < 1 || pw < 1) { problems.Add(new ModelProblem(i, $"pool size must be at least 1 (got {ph}x{pw})")); return null; }
        if (sh < 1 || sw < 1) { problems.Add(new ModelProblem(i, $"strides must be at least 1 (got {sh}x{sw})")); return null; }
        if (padding == Padding.Valid && (ph > shape.Height || pw > shape.Width))
        {
            problems.Add(new ModelProblem(i, $"pool {ph}x{pw} is larger than its {shape.Height}x{shape.Width} input (use padding Same or a smaller pool)"));
            return null;
        }
        return TensorShape.Maps(OutputSize(shape.Height, ph, sh, padding), OutputSize(shape.Width, pw, sw, padding), shape.Channels);
    }
}
