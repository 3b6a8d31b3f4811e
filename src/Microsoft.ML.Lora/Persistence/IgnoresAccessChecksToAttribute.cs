// ML.NET keeps its model save/load API (ModelSaveContext members, ModelLoadContext, VersionInfo, LoadableClass) internal.
// We compile against a publicized copy of Microsoft.ML.Core (build/Publicize.targets) and this attribute lets the runtime
// accept the calls into the real, unmodified assembly. The argument is the simple assembly name.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices;

[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;
    public string AssemblyName { get; }
}
