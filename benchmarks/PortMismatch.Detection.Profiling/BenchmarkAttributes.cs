namespace BenchmarkDotNet.Attributes;

// No-op stand-ins for the BenchmarkDotNet attributes that the shared benchmark classes carry, so that they compile here
// without BenchmarkDotNet (whose reflection does not belong in a NativeAOT binary).

[AttributeUsage(AttributeTargets.Class)]
internal sealed class MemoryDiagnoserAttribute : Attribute;

[AttributeUsage(AttributeTargets.Method)]
internal sealed class GlobalSetupAttribute : Attribute;

[AttributeUsage(AttributeTargets.Method)]
internal sealed class BenchmarkAttribute : Attribute
{
    public int OperationsPerInvoke { get; set; }

    public string? Description { get; set; }
}

[AttributeUsage(AttributeTargets.Property)]
internal sealed class ParamsAttribute(params object[] values) : Attribute
{
    public IReadOnlyList<object> Values { get; } = values;
}
