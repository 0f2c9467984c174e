using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// A convolutional network built from a <see cref="ModelSpec"/>. Input: N x C x H x W floats in [0, 1].
/// Output: class logits, N x classes. A final Dense layer with softmax is kept as logits here: the loss applies
/// log-softmax itself (numerically stable categorical cross-entropy) and <see cref="Probabilities"/> applies softmax.
/// </summary>
public sealed class CnnModel : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public CnnModel(ModelSpec spec, Device? device = null) : base("CnnModel")
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        Summary = spec.Summarize();
        var built = new List<(string, nn.Module<Tensor, Tensor>)>();
        var shape = TensorShape.Maps(spec.Input.Height, spec.Input.Width, spec.Input.Channels);
        (string, nn.Module<Tensor, Tensor>)? deferred = null;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var name = Summary[i].Name;
            bool isLast = i == spec.Layers.Count - 1;
            var modules = Build(spec.Layers[i], shape, isLast).Select(m => (name + m.Suffix, m.Module)).ToList();
            if (spec.Layers[i] is Conv2DSpec conv && IsMonotone(conv.Activation) && i + 1 < spec.Layers.Count && spec.Layers[i + 1] is MaxPool2DSpec)
            {
                // Conv -> activation -> max pool computes the same as conv -> max pool -> activation when the
                // activation never decreases (max(f(a), f(b)) = f(max(a, b))), with the same gradients; applied
                // after the pool, the activation touches a quarter of the values. The activation is the last module.
                deferred = modules[^1];
                modules.RemoveAt(modules.Count - 1);
            }
            else if (deferred is { } activation && spec.Layers[i] is MaxPool2DSpec)
            {
                modules.Add(activation);
                deferred = null;
            }
            built.AddRange(modules);
            shape = Summary[i].OutputShape;
        }
        layers = nn.Sequential(built);
        RegisterComponents();
        if (device is not null && device.type != DeviceType.CPU) this.to(device);
    }

    /// <summary>The modules in the order they run, by name ("conv2d", "conv2d_relu", "max_pooling2d"...), for looking inside the model.</summary>
    internal IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> NamedLayers =>
        layers.named_children().Select(c => (c.name, (nn.Module<Tensor, Tensor>)c.module)).ToArray();

    public ModelSpec Spec { get; }
    public IReadOnlyList<LayerSummary> Summary { get; }

    /// <summary>Parameters and buffers counted the way Keras counts them (batch-norm statistics included).</summary>
    public long ParameterCount => Summary.Sum(r => r.Parameters);

    /// <summary>
    /// Whether image batches on the CPU run channels-last (NHWC in memory). On by default: libtorch's oneDNN
    /// convolutions then skip their layout reorders, and max pooling takes its vectorised channels-last kernel
    /// instead of the scalar NCHW one (the NCHW kernel was a quarter of the tutorial model's training time).
    /// Results are the same either way; shapes and saved weights stay NCHW. GPU batches are left as they come.
    /// </summary>
    public bool ChannelsLast { get; set; } = true;

    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!ChannelsLast || input.dim() != 4 || input.device_type != DeviceType.CPU) return layers.forward(input);
        using var nhwc = MemoryLayout.ToChannelsLast(input);
        return layers.forward(nhwc);
    }

    /// <summary>Softmax probabilities for a batch, without building a graph.</summary>
    public Tensor Probabilities(Tensor input)
    {
        using var noGrad = no_grad();
        return nn.functional.softmax(forward(input), 1);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) layers.Dispose();
        base.Dispose(disposing);
    }

    private static IEnumerable<(string Suffix, nn.Module<Tensor, Tensor> Module)> Build(LayerSpec layer, TensorShape input, bool isLast)
    {
        switch (layer)
        {
            case Conv2DSpec c:
            {
                if (c.Padding == Padding.Same)
                {
                    var pad = SamePad(input, c.KernelHeight, c.KernelWidth, c.StrideHeight, c.StrideWidth);
                    if (pad != (0, 0, 0, 0)) yield return ("_pad", new ConstantPad(pad, 0));
                }
                var conv = nn.Conv2d(input.Channels, c.Filters, (c.KernelHeight, c.KernelWidth), stride: (c.StrideHeight, c.StrideWidth));
                GlorotUniform(conv.weight!, conv.bias);
                yield return ("", conv);
                var act = ActivationModule(c.Activation, isLast);
                if (act is not null) yield return ("_" + ActivationNames.ToName(c.Activation), act);
                break;
            }
            case MaxPool2DSpec m:
            {
                if (m.Padding == Padding.Same)
                {
                    var pad = SamePad(input, m.PoolHeight, m.PoolWidth, m.EffectiveStrideHeight, m.EffectiveStrideWidth);
                    // Keras pads max pooling with -inf: padding never wins a max.
                    if (pad != (0, 0, 0, 0)) yield return ("_pad", new ConstantPad(pad, double.NegativeInfinity));
                }
                yield return ("", nn.MaxPool2d((m.PoolHeight, m.PoolWidth), (m.EffectiveStrideHeight, m.EffectiveStrideWidth)));
                break;
            }
            case AvgPool2DSpec a:
                yield return ("", new AveragePool(a, input));
                break;
            case FlattenSpec:
                yield return ("", nn.Flatten());
                break;
            case DenseSpec d:
            {
                var linear = nn.Linear(input.Channels, d.Units);
                GlorotUniform(linear.weight!, linear.bias);
                yield return ("", linear);
                var act = ActivationModule(d.Activation, isLast);
                if (act is not null) yield return ("_" + ActivationNames.ToName(d.Activation), act);
                break;
            }
            case DropoutSpec dr:
                yield return ("", nn.Dropout(dr.Rate));
                break;
            case BatchNormSpec bn:
                // Keras momentum m keeps m of the old statistic; PyTorch's momentum is the share of the new one.
                // Our own module, not nn.BatchNorm1d/2d: their training forward races the finalizer (see its remarks).
                yield return ("", new BatchNormalization(input.Channels, spatial: !input.IsFlat, bn.Epsilon, 1 - bn.Momentum));
                break;
            default:
                throw new NotSupportedException($"Layer type {layer.GetType().Name} is not supported.");
        }
    }

    /// <summary>Element-wise activations that never decrease: they commute with max pooling.</summary>
    internal static bool IsMonotone(Activation activation) => activation is
        Activation.Relu or Activation.LeakyRelu or Activation.Elu or Activation.Selu or Activation.Sigmoid or Activation.Tanh;

    private static (long Left, long Right, long Top, long Bottom) SamePad(TensorShape input, int kh, int kw, int sh, int sw)
    {
        int th = ModelSpec.SamePaddingTotal(input.Height, kh, sh);
        int tw = ModelSpec.SamePaddingTotal(input.Width, kw, sw);
        return (tw / 2, tw - (tw / 2), th / 2, th - (th / 2));
    }

    private static nn.Module<Tensor, Tensor>? ActivationModule(Activation activation, bool isLast) => activation switch
    {
        Activation.None => null,
        // The model emits logits; softmax on the output layer is applied by the loss and by Probabilities().
        Activation.Softmax when isLast => null,
        Activation.Softmax => nn.Softmax(1),
        Activation.Relu => nn.ReLU(),
        Activation.Sigmoid => nn.Sigmoid(),
        Activation.Tanh => nn.Tanh(),
        // ELU and leaky ReLU are ours: TorchSharp's modules make their scalars unowned on every forward (see each class).
        Activation.Elu => new Elu(),
        Activation.Gelu => nn.GELU(),
        Activation.Selu => nn.SELU(),
        Activation.LeakyRelu => new LeakyRelu(0.3), // Keras' default negative slope
        _ => throw new NotSupportedException($"Activation {activation} is not supported."),
    };

    /// <summary>Keras' defaults for new layers: Glorot-uniform kernels, zero biases.</summary>
    private static void GlorotUniform(Tensor weight, Tensor? bias)
    {
        using var noGrad = no_grad();
        nn.init.xavier_uniform_(weight);
        if (bias is not null) nn.init.zeros_(bias);
    }

    /// <summary>Asymmetric constant padding (left, right, top, bottom), as TensorFlow's SAME padding needs.</summary>
    private sealed class ConstantPad : nn.Module<Tensor, Tensor>
    {
        private readonly long[] pad;
        private readonly double value;

        public ConstantPad((long Left, long Right, long Top, long Bottom) pad, double value) : base("ConstantPad")
        {
            this.pad = new[] { pad.Left, pad.Right, pad.Top, pad.Bottom };
            this.value = value;
        }

        public override Tensor forward(Tensor input) => nn.functional.pad(input, pad, PaddingModes.Constant, value);
    }

    /// <summary>Average pooling; with Same padding it averages only real pixels, as Keras does.</summary>
    private sealed class AveragePool : nn.Module<Tensor, Tensor>
    {
        private readonly long[] kernel;
        private readonly long[] stride;
        private readonly long[]? pad;

        public AveragePool(AvgPool2DSpec spec, TensorShape input) : base("AveragePool")
        {
            kernel = new long[] { spec.PoolHeight, spec.PoolWidth };
            stride = new long[] { spec.EffectiveStrideHeight, spec.EffectiveStrideWidth };
            if (spec.Padding == Padding.Same)
            {
                var p = SamePad(input, spec.PoolHeight, spec.PoolWidth, spec.EffectiveStrideHeight, spec.EffectiveStrideWidth);
                if (p != (0, 0, 0, 0)) pad = new[] { p.Left, p.Right, p.Top, p.Bottom };
            }
        }

        public override Tensor forward(Tensor input)
        {
            if (pad is null) return nn.functional.avg_pool2d(input, kernel, stride);
            using var scope = NewDisposeScope();
            var padded = nn.functional.pad(input, pad);
            var sums = nn.functional.avg_pool2d(padded, kernel, stride);
            var ones = torch.ones(1, 1, input.shape[2], input.shape[3], dtype: input.dtype, device: input.device);
            var counts = nn.functional.avg_pool2d(nn.functional.pad(ones, pad), kernel, stride);
            return sums.div(counts).MoveToOuterDisposeScope();
        }
    }
}
