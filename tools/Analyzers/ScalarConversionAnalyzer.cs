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

    private static readonly DiagnosticDescriptor Rule = new(
        DiagnosticId,
        title: "Number converted to a TorchSharp Scalar that nobody disposes",
        messageFormat: "'{0}' becomes a TorchSharp.Scalar that only the finalizer frees, possibly during the native call that reads it; own it with 'using var s = ({0}).ToScalar();' and pass s",
        category: "Reliability",
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TorchSharp 0.107's implicit and explicit conversions to Scalar allocate a native scalar freed only by the finalizer, which can run while the native call still reads it.",
        helpLinkUri: "docs/development.md#analyzers");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null) return;
            start.RegisterOperationAction(op => Check(op, scalar), OperationKind.Conversion);
        });
    }

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
