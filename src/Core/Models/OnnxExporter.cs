using System.Globalization;
using Google.Protobuf;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Export;
using Onnx;
using static TorchSharp.torch;

namespace MnistCnn.Core.Models;

/// <summary>
/// Writes a trained model as an ONNX graph (opset 17) that computes what <see cref="CnnModel"/> computes in
/// evaluation mode: dropout is the identity and batch norm uses its running statistics. The graph is plain NCHW;
/// the channels-last layout the model uses on the CPU is a memory layout only. A monotone convolution activation
/// is applied after a following max pooling, as the model does (same values). Inputs are the scaled pixels
/// (<c>input</c>, N x C x H x W, N free); outputs are <c>logits</c> and <c>probabilities</c> (softmax), N x classes.
/// </summary>
public static class OnnxExporter
{
    public const int OpsetVersion = 17;
    public const string InputName = "input";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";
    /// <summary>ONNX IR version 8 goes with opset 17 (ONNX 1.12), which every ONNX Runtime since 1.12 reads.</summary>
    private const long IrVersion = 8;

    /// <summary>Builds the ONNX model of <paramref name="model"/>.</summary>
    public static ModelProto Build(TrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        var spec = model.Spec;
        var summary = spec.Summarize();
        var weights = Weights(model.Network);
        var graph = new GraphProto { Name = spec.Name };
        var builder = new GraphBuilder(graph);
        var input = spec.Input;
        graph.Input.Add(ValueInfo(InputName, "N", input.Channels, input.Height, input.Width));

        string current = InputName;
        var shape = TensorShape.Maps(input.Height, input.Width, input.Channels);
        Activation? deferred = null;
        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            string name = summary[i].Name;
            bool isLast = i == spec.Layers.Count - 1;
            switch (layer)
            {
                case Conv2DSpec c:
                {
                    var pads = ConvPads(c.Padding, shape, c.KernelHeight, c.KernelWidth, c.StrideHeight, c.StrideWidth);
                    current = builder.Node("Conv", name, [current, builder.Initializer(name + ".weight", weights, name + ".weight"), builder.Initializer(name + ".bias", weights, name + ".bias")],
                        Ints("kernel_shape", c.KernelHeight, c.KernelWidth), Ints("strides", c.StrideHeight, c.StrideWidth), Ints("pads", pads));
                    if (CnnModel.IsMonotone(c.Activation) && i + 1 < spec.Layers.Count && spec.Layers[i + 1] is MaxPool2DSpec)
                    {
                        deferred = c.Activation;
                    }
                    else
                    {
                        current = builder.Activation(c.Activation, isLast, name, current);
                    }
                    break;
                }
                case MaxPool2DSpec m:
                {
                    // ONNX max pooling never lets padding win a max, as the model's -inf padding does.
                    var pads = ConvPads(m.Padding, shape, m.PoolHeight, m.PoolWidth, m.EffectiveStrideHeight, m.EffectiveStrideWidth);
                    current = builder.Node("MaxPool", name, [current],
                        Ints("kernel_shape", m.PoolHeight, m.PoolWidth), Ints("strides", m.EffectiveStrideHeight, m.EffectiveStrideWidth), Ints("pads", pads));
                    if (deferred is { } act)
                    {
                        current = builder.Activation(act, false, name, current);
                        deferred = null;
                    }
                    break;
                }
                case AvgPool2DSpec a:
                {
                    // Same padding averages only real pixels (Keras): count_include_pad = 0.
                    var pads = ConvPads(a.Padding, shape, a.PoolHeight, a.PoolWidth, a.EffectiveStrideHeight, a.EffectiveStrideWidth);
                    current = builder.Node("AveragePool", name, [current],
                        Ints("kernel_shape", a.PoolHeight, a.PoolWidth), Ints("strides", a.EffectiveStrideHeight, a.EffectiveStrideWidth), Ints("pads", pads),
                        Int("count_include_pad", 0));
                    break;
                }
                case FlattenSpec:
                    current = builder.Node("Flatten", name, [current], Int("axis", 1));
                    break;
                case DenseSpec d:
                    current = builder.Node("Gemm", name, [current, builder.Initializer(name + ".weight", weights, name + ".weight"), builder.Initializer(name + ".bias", weights, name + ".bias")],
                        Int("transB", 1));
                    current = builder.Activation(d.Activation, isLast, name, current);
                    break;
                case DropoutSpec:
                    // Identity when not training.
                    break;
                case BatchNormSpec bn:
                    current = builder.Node("BatchNormalization", name,
                        [current, builder.Initializer(name + ".weight", weights, name + ".weight"), builder.Initializer(name + ".bias", weights, name + ".bias"),
                         builder.Initializer(name + ".running_mean", weights, name + ".running_mean"), builder.Initializer(name + ".running_var", weights, name + ".running_var")],
                        Float("epsilon", (float)bn.Epsilon));
                    break;
                default:
                    throw new MnistCnnException(ModelsErrorIds.OnnxLayerUnsupported, ErrorKind.NotImplemented,
                        $"Layer {i + 1} ({layer.Describe()}) of model '{spec.Name}' has no ONNX export.", spec.Name);
            }
            shape = summary[i].OutputShape;
        }

        builder.Node("Identity", LogitsName, [current], output: LogitsName);
        builder.Node("Softmax", ProbabilitiesName, [LogitsName], output: ProbabilitiesName, attributes: Int("axis", 1));
        graph.Output.Add(ValueInfo(LogitsName, "N", spec.Classes));
        graph.Output.Add(ValueInfo(ProbabilitiesName, "N", spec.Classes));

        var onnx = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MnistCnn",
            ProducerVersion = Versions.Toolkit,
            Domain = "mnistcnn",
            ModelVersion = 1,
            DocString = $"{spec.Name}: {string.Join(", ", spec.Layers.Select(l => l.Describe()))}. Input: {input.Channels}x{input.Height}x{input.Width} pixels times {model.Preprocessing.Scale.ToString("R", CultureInfo.InvariantCulture)}{(model.Preprocessing.DarkBackground ? ", light ink on a dark background" : "")}.",
            Graph = graph,
        };
        onnx.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        onnx.MetadataProps.Add(new StringStringEntryProto { Key = "class_names", Value = string.Join(",", model.ClassNames) });
        onnx.MetadataProps.Add(new StringStringEntryProto { Key = "dataset", Value = model.Dataset });
        onnx.MetadataProps.Add(new StringStringEntryProto { Key = "pixel_scale", Value = model.Preprocessing.Scale.ToString("R", CultureInfo.InvariantCulture) });
        onnx.MetadataProps.Add(new StringStringEntryProto { Key = "dark_background", Value = model.Preprocessing.DarkBackground ? "true" : "false" });
        if (model.RunId is { } run) onnx.MetadataProps.Add(new StringStringEntryProto { Key = "run_id", Value = run });
        return onnx;
    }

    /// <summary>Writes the ONNX file (through a temporary file, so a failed write leaves no half file).</summary>
    public static OnnxExport Write(TrainedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var onnx = Build(model);
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = File.Create(temp)) onnx.WriteTo(stream);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        var input = model.Spec.Input;
        return new OnnxExport(full, model.Name, OpsetVersion, InputName,
            string.Create(CultureInfo.InvariantCulture, $"N x {input.Channels} x {input.Height} x {input.Width}"),
            [LogitsName, ProbabilitiesName], new FileInfo(full).Length);
    }

    /// <summary>The network's parameters and buffers by layer-qualified name ("conv2d.weight"), as float arrays with shapes.</summary>
    private static Dictionary<string, (long[] Shape, float[] Values)> Weights(CnnModel network)
    {
        var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var (key, tensor) in network.state_dict())
        {
            // Keys are "layers.<module name>.<parameter>"; the module names are the summary's layer names.
            var name = key.StartsWith("layers.", StringComparison.Ordinal) ? key["layers.".Length..] : key;
            if (tensor.dtype != ScalarType.Float32) continue;
            using var cpu = tensor.detach().cpu().contiguous();
            result[name] = (cpu.shape, cpu.data<float>().ToArray());
        }
        return result;
    }

    /// <summary>ONNX pads (top, left, bottom, right) for TensorFlow-style Same padding; the extra pixel goes bottom/right.</summary>
    private static long[] ConvPads(Padding padding, TensorShape input, int kh, int kw, int sh, int sw)
    {
        if (padding == Padding.Valid) return [0, 0, 0, 0];
        int th = ModelSpec.SamePaddingTotal(input.Height, kh, sh);
        int tw = ModelSpec.SamePaddingTotal(input.Width, kw, sw);
        return [th / 2, tw / 2, th - (th / 2), tw - (tw / 2)];
    }

    private static ValueInfoProto ValueInfo(string name, string batch, params int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Adds nodes and initializers with unique names.</summary>
    private sealed class GraphBuilder(GraphProto graph)
    {
        private readonly HashSet<string> names = new(StringComparer.Ordinal);

        public string Node(string op, string name, string[] inputs, params AttributeProto[] attributes) => Node(op, name, inputs, null, attributes);

        public string Node(string op, string name, string[] inputs, string? output, params AttributeProto[] attributes)
        {
            string nodeName = Unique(name + "/" + op);
            string outName = output ?? nodeName + ":0";
            var node = new NodeProto { OpType = op, Name = nodeName };
            node.Input.AddRange(inputs);
            node.Output.Add(outName);
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
            return outName;
        }

        public string Initializer(string name, Dictionary<string, (long[] Shape, float[] Values)> weights, string key)
        {
            if (!weights.TryGetValue(key, out var w))
            {
                throw new MnistCnnException(ModelsErrorIds.OnnxWeightsMissing, ErrorKind.InvalidData,
                    $"The model has no '{key}' parameter although its architecture needs one; its weights do not match its layers.", key);
            }
            return Constant(name, w.Shape, w.Values);
        }

        public string Constant(string name, long[] shape, float[] values)
        {
            var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(shape);
            var bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
            tensor.RawData = ByteString.CopyFrom(bytes);
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        /// <summary>The layer's activation as ONNX nodes; a softmax on the last layer stays out (the graph ends in logits, as the model does).</summary>
        public string Activation(Activation activation, bool isLast, string layer, string input) => activation switch
        {
            Models.Activation.None => input,
            Models.Activation.Softmax when isLast => input,
            Models.Activation.Softmax => Node("Softmax", layer, [input], Int("axis", 1)),
            Models.Activation.Relu => Node("Relu", layer, [input]),
            Models.Activation.Sigmoid => Node("Sigmoid", layer, [input]),
            Models.Activation.Tanh => Node("Tanh", layer, [input]),
            Models.Activation.Elu => Node("Elu", layer, [input], Float("alpha", 1f)),
            Models.Activation.Selu => Node("Selu", layer, [input]),
            Models.Activation.LeakyRelu => Node("LeakyRelu", layer, [input], Float("alpha", 0.3f)),
            Models.Activation.Gelu => Gelu(layer, input),
            _ => throw new MnistCnnException(ModelsErrorIds.OnnxLayerUnsupported, ErrorKind.NotImplemented, $"Activation {activation} of layer '{layer}' has no ONNX export.", layer),
        };

        /// <summary>Exact GELU, x * (1 + erf(x / sqrt 2)) / 2 (ONNX's own Gelu needs opset 20).</summary>
        private string Gelu(string layer, string input)
        {
            var scaled = Node("Div", layer + "_gelu", [input, Constant(layer + "_gelu.sqrt2", [], [MathF.Sqrt(2f)])]);
            var erf = Node("Erf", layer + "_gelu", [scaled]);
            var plusOne = Node("Add", layer + "_gelu", [erf, Constant(layer + "_gelu.one", [], [1f])]);
            var times = Node("Mul", layer + "_gelu", [input, plusOne]);
            return Node("Mul", layer + "_gelu", [times, Constant(layer + "_gelu.half", [], [0.5f])]);
        }

        private string Unique(string name)
        {
            string candidate = name;
            for (int n = 1; !names.Add(candidate); n++) candidate = string.Create(CultureInfo.InvariantCulture, $"{name}_{n}");
            return candidate;
        }
    }
}
