using System.Reflection;

namespace Samples.Common;

/// <summary>Where a sample writes when not told: its project's <c>output/</c> folder (git-ignored), else <c>./output</c>.</summary>
public static class SampleFolders
{
    /// <summary>
    /// <c>samples/NAME/output</c> when the project folder the sample was built from still exists (a <c>dotnet run</c> from
    /// any folder); <c>output</c> under the current folder otherwise (the binary was copied elsewhere).
    /// </summary>
    public static string DefaultOutput()
    {
        var project = Assembly.GetEntryAssembly()?.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SampleProjectFolder")?.Value;
        return project is not null && Directory.Exists(project) ? Path.Combine(project, "output") : Path.GetFullPath("output");
    }
}
