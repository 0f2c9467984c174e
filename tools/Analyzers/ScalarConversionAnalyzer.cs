using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace MnistCnn.Analyzers;

/// <summary>
/// MNC0001: a number converted to <c>TorchSharp.Scalar</c> by TorchSharp's conversion operators (implicitly, as in
/// <c>t.mul_(0.5)</c>, or by a cast) makes a native scalar that nobody disposes. TorchSharp 0.107 frees it only from
/// the finalizer and does not keep it alive across the native call that reads it, so under memory pressure a
/// garbage collection can free it while libtorch is still using it: a rare crash or a wrong result (we saw
/// <c>addcmul_</c> fail that way). Own the scalar instead (<c>using var half = 0.5.ToScalar();</c>) or use an
/// overload that takes the number itself (<c>uniform_(from, to)</c>, <c>clamp(min, max)</c> on doubles where it exists).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScalarConversionAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "MNC0001";

    /// <summary>MNC0002: a TorchSharp overload that fills a Scalar argument (alpha, value, exponent) itself, the same way.</summary>
    public const string FilledScalarId = "MNC0002";

    /// <summary>
    /// TorchSharp 0.107 methods that forward to an overload with a number for a Scalar parameter (read from its source,
    /// Tensor.Math.cs and torch.PointwiseOps.cs): the method name and the argument count (instance calls; the static
    /// <c>torch.</c> forms take the tensor as one more) at which it does so, and what to pass instead.
    /// </summary>
    /// The number they fill in is an int (an integral alpha works for every dtype), so pass an owned 1.ToScalar().
    private static readonly (string Name, int Arguments, string Instead)[] FillingOverloads =
    [
        ("add", 1, "add(x, one) with an owned 'one'"),
        ("add_", 1, "add_(x, one) with an owned 'one'"),
        ("addcdiv", 2, "addcdiv(a, b, one) with an owned 'one'"),
        ("addcdiv_", 2, "addcdiv_(a, b, one) with an owned 'one'"),
        ("square", 0, "mul(t) or pow(two) with an owned 'two'"),
    ];

    private static readonly DiagnosticDescriptor FilledRule = new(
        FilledScalarId,
        title: "TorchSharp overload that makes a Scalar nobody disposes",
        messageFormat: "TorchSharp's '{0}' with {1} argument(s) passes a number it converts to a Scalar that only the finalizer frees; call {2}",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Some TorchSharp 0.107 overloads forward to another with a literal for a Scalar parameter (add_(x) is add_(x, 1)), which allocates a native scalar freed only by the finalizer.",
        helpLinkUri: "docs/development.md#analyzers");

    private static readonly DiagnosticDescriptor Rule = new(
        DiagnosticId,
        title: "Number converted to a TorchSharp Scalar that nobody disposes",
        messageFormat: "'{0}' becomes a TorchSharp.Scalar that only the finalizer frees, possibly during the native call that reads it; own it with 'using var s = ({0}).ToScalar();' and pass s",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TorchSharp 0.107's implicit and explicit conversions to Scalar allocate a native scalar freed only by the finalizer, which can run while the native call still reads it.",
        helpLinkUri: "docs/development.md#analyzers");

    /// <summary>
    /// MNC0003: a TorchSharp Tensor operator that makes a Scalar nobody disposes. TorchSharp 0.107's operators
    /// (Tensor.Operators.cs) forward to methods: <c>a + b</c> is <c>a.add(b)</c>, which fills an alpha of 1;
    /// <c>s - t</c> is <c>t.negative().add(s)</c>; and every form with a number operand (<c>t * 0.5</c>, <c>1 - t</c>,
    /// <c>t / n</c>, <c>t % 2</c>) converts the number inside TorchSharp, where MNC0001 cannot see it.
    /// </summary>
    public const string OperatorId = "MNC0003";

    private static readonly DiagnosticDescriptor OperatorRule = new(
        OperatorId,
        title: "TorchSharp Tensor operator that makes a Scalar nobody disposes",
        messageFormat: "TorchSharp's Tensor operator '{0}' {1}, a Scalar that only the finalizer frees; call {2}",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TorchSharp 0.107's Tensor operators forward to add/sub/mul/div/remainder with a number converted to a Scalar, or with an alpha of 1, which allocates a native scalar freed only by the finalizer.",
        helpLinkUri: "docs/development.md#analyzers");

    /// <summary>
    /// MNC0004: a TorchSharp module, functional or optimizer whose implementation makes Scalars nobody disposes on every
    /// call (read from TorchSharp 0.107's source): the owned-scalar replacement this repository has for each.
    /// </summary>
    public const string UnownedApiId = "MNC0004";

    private static readonly (string Type, string Name, string Instead)[] UnownedApis =
    [
        ("TorchSharp.torch.nn", "BatchNorm1d", "MnistCnn.Core.Models.BatchNormalization (its training forward counts batches with add_(1))"),
        ("TorchSharp.torch.nn", "BatchNorm2d", "MnistCnn.Core.Models.BatchNormalization (its training forward counts batches with add_(1))"),
        ("TorchSharp.torch.nn", "BatchNorm3d", "a batch norm that owns its scalars, as MnistCnn.Core.Models.BatchNormalization (its training forward counts batches with add_(1))"),
        ("TorchSharp.torch.nn", "ELU", "the Elu module of src/Core/Models/ScalarActivations.cs, or Tensor.elu(alpha, scale, inputScale) with owned scalars"),
        ("TorchSharp.torch.nn", "LeakyReLU", "the LeakyRelu module of src/Core/Models/ScalarActivations.cs, or Tensor.leaky_relu(slope) with an owned slope"),
        ("TorchSharp.torch.nn.functional", "elu", "Tensor.elu(alpha, scale, inputScale) with owned scalars"),
        ("TorchSharp.torch.nn.functional", "leaky_relu", "Tensor.leaky_relu(slope) with an owned slope"),
        ("TorchSharp.torch.Tensor", "elu", "elu(alpha, scale, inputScale) with owned scalars"),
        ("TorchSharp.torch.Tensor", "elu_", "elu_(alpha, scale, inputScale) with owned scalars"),
        ("TorchSharp.torch.optim", "*", "MnistCnn.Core.Training.Optimizers.Create(parameters, options), whose optimizers' steps own their scalars"),
    ];

    private static readonly DiagnosticDescriptor UnownedApiRule = new(
        UnownedApiId,
        title: "TorchSharp API whose implementation makes Scalars nobody disposes",
        messageFormat: "TorchSharp's '{0}' makes Scalars that only the finalizer frees on every call; use {1}",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Some TorchSharp 0.107 modules, functionals and optimizers pass numbers to libtorch as Scalars they never dispose (BatchNorm's add_(1), ELU's alpha, LeakyReLU's slope, the optimizers' steps).",
        helpLinkUri: "docs/development.md#analyzers");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule, FilledRule, OperatorRule, UnownedApiRule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null) return;
            start.RegisterOperationAction(op => Check(op, scalar), OperationKind.Conversion);
            var torch = start.Compilation.GetTypeByMetadataName("TorchSharp.torch");
            var tensor = start.Compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
            if (torch is not null && tensor is not null) start.RegisterOperationAction(op => CheckCall(op, torch, tensor), OperationKind.Invocation);
            if (tensor is not null)
            {
                start.RegisterOperationAction(op =>
                {
                    var binary = (IBinaryOperation)op.Operation;
                    CheckOperator(op, tensor, binary.OperatorMethod, binary.LeftOperand.Syntax.ToString(), binary.RightOperand.Syntax.ToString());
                }, OperationKind.Binary);
                start.RegisterOperationAction(op =>
                {
                    var compound = (ICompoundAssignmentOperation)op.Operation;
                    CheckOperator(op, tensor, compound.OperatorMethod, compound.Target.Syntax.ToString(), compound.Value.Syntax.ToString());
                }, OperationKind.CompoundAssignment);
            }
        });
    }

    private static void CheckCall(OperationAnalysisContext context, INamedTypeSymbol torch, INamedTypeSymbol tensor)
    {
        var call = (IInvocationOperation)context.Operation;
        var method = call.TargetMethod;
        bool onTensor = SymbolEqualityComparer.Default.Equals(method.ContainingType, tensor) && !method.IsStatic;
        bool onTorch = SymbolEqualityComparer.Default.Equals(method.ContainingType, torch) && method.IsStatic;
        if (UnownedApi(method) is { } replacement)
        {
            context.ReportDiagnostic(Diagnostic.Create(UnownedApiRule, call.Syntax.GetLocation(), $"{method.ContainingType.Name}.{method.Name}", replacement));
            return;
        }
        if (!onTensor && !onTorch) return;
        // arange(stop) and arange(start, stop) fill start and step themselves.
        if (onTorch && method.Name == "arange" && method.Parameters.Count(p => p.Type.Name == "Scalar") is var scalars and < 3)
        {
            context.ReportDiagnostic(Diagnostic.Create(FilledRule, call.Syntax.GetLocation(), "arange", scalars, "arange(start, stop, step) with owned scalars"));
            return;
        }
        int arguments = method.Parameters.Length - (onTorch ? 1 : 0);
        foreach (var (name, count, instead) in FillingOverloads)
        {
            if (method.Name == name && arguments == count)
            {
                context.ReportDiagnostic(Diagnostic.Create(FilledRule, call.Syntax.GetLocation(), name, count, instead));
                return;
            }
        }
    }

    private static void CheckOperator(OperationAnalysisContext context, INamedTypeSymbol tensor, IMethodSymbol? method, string left, string right)
    {
        if (method is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, tensor) || method.Parameters.Length != 2) return;
        var (symbol, call) = method.Name switch
        {
            "op_Addition" => ("+", "add"),
            "op_Subtraction" => ("-", "sub"),
            "op_Multiply" => ("*", "mul"),
            "op_Division" => ("/", "div"),
            "op_Modulus" => ("%", "remainder"),
            _ => (null, null),
        };
        if (symbol is null) return;
        bool leftIsTensor = SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, tensor);
        bool rightIsTensor = SymbolEqualityComparer.Default.Equals(method.Parameters[1].Type, tensor);
        var number = !leftIsTensor && IsNumber(method.Parameters[0].Type) ? left : !rightIsTensor && IsNumber(method.Parameters[1].Type) ? right : null;
        string? made = number is not null ? $"converts '{number}'" : symbol == "+" || (symbol == "-" && !leftIsTensor) ? "fills an alpha of 1" : null;
        if (made is null) return;
        // The call to make instead, on a tensor t (and u), with the number owned as s.
        var own = number is not null ? $"; own s as 'using var s = ({number}).ToScalar();'" : "";
        string instead = symbol switch
        {
            "+" => $"t.add({(number is not null || !leftIsTensor || !rightIsTensor ? "s" : "u")}, one) with an owned 'one' (1.ToScalar()){own}",
            "-" when !leftIsTensor => $"t.neg().add(s, one) with an owned 'one' (1.ToScalar()){own}",
            "/" when !leftIsTensor => $"t.reciprocal().mul(s){own}",
            _ => $"t.{call}(s){own}",
        };
        context.ReportDiagnostic(Diagnostic.Create(OperatorRule, context.Operation.Syntax.GetLocation(), symbol, made, instead));
    }

    private static string? UnownedApi(IMethodSymbol method)
    {
        var type = method.ContainingType.ToDisplayString();
        foreach (var (owner, name, instead) in UnownedApis)
        {
            if (type != owner) continue;
            if (name == "*")
            {
                // Every torch.optim factory that returns an optimizer (not the schedulers, not the helpers).
                for (var t = method.ReturnType as INamedTypeSymbol; t is not null; t = t.BaseType)
                {
                    if (t.ToDisplayString() == "TorchSharp.torch.optim.Optimizer") return instead;
                }
                continue;
            }
            // Tensor.elu(Scalar, Scalar, Scalar) is the owned form; only the double overloads convert.
            if (method.Name == name && !(owner == "TorchSharp.torch.Tensor" && method.Parameters.Any(p => p.Type.Name == "Scalar"))) return instead;
        }
        return null;
    }

    private static bool IsNumber(ITypeSymbol type) => type.SpecialType is
        SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Single or SpecialType.System_Double;

    private static void Check(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!conversion.Conversion.IsUserDefined) return;
        if (conversion.OperatorMethod is not { } method || !SymbolEqualityComparer.Default.Equals(method.ContainingType, scalar)) return;
        if (!SymbolEqualityComparer.Default.Equals(conversion.Type, scalar)) return;
        var operand = conversion.Operand.Syntax.ToString();
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Operand.Syntax.GetLocation(), operand));
    }
}
