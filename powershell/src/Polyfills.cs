// Attributes the C# compiler understands but netstandard2.0 does not declare.

[module: System.Runtime.CompilerServices.SkipLocalsInit]

namespace System.Runtime.CompilerServices
{
    /// <summary>Stack buffers are written before they are read; skip zeroing them on every call.</summary>
    [AttributeUsage(AttributeTargets.Module | AttributeTargets.Class | AttributeTargets.Method, Inherited = false)]
    internal sealed class SkipLocalsInitAttribute : Attribute
    {
    }
}

namespace System.Diagnostics.CodeAnalysis
{
    /// <summary>The method never returns normally (it throws).</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class DoesNotReturnAttribute : Attribute
    {
    }
}
