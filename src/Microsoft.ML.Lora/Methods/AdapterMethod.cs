using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Methods;

/// <summary>Placeholder until bottleneck adapters land (issue 7).</summary>
internal static class AdapterMethod
{
    public static FineTuningMethod? TryFromJson(string kind, JsonObject json) => null;
}
