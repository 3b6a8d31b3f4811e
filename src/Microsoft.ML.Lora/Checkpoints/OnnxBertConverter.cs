using System.Globalization;
using Onnx;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// Recovers a Hugging Face <c>BertModel</c> state dict from a PyTorch ONNX export of it.
/// </summary>
/// <remarks>
/// The exporter keeps the names of parameters it uses as they are (embeddings, biases, LayerNorm, a pooler used by
/// Gemm) but folds each Linear weight that feeds a MatMul into an anonymous, pre-transposed [in, out] initializer.
/// Those are found through the graph: the named bias of a Linear is added to the output of the MatMul that
/// multiplies by its weight. Head count and LayerNorm epsilon are not tensors either; they are read from the
/// attention reshape and the LayerNorm arithmetic.
/// </remarks>
internal static class OnnxBertConverter
{
    private const string Embeddings = "embeddings";

    public static OnnxBertCheckpoint Convert(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null)
            throw new InvalidDataException($"{source}: the ONNX model has no graph.");
        return new Conversion(new OnnxGraphIndex(model.Graph, source)).Run();
    }

    private sealed class Conversion(OnnxGraphIndex graph)
    {
        private readonly List<KeyValuePair<string, FloatTensorData>> _tensors = [];
        private readonly HashSet<string> _usedInitializers = new(StringComparer.Ordinal);

        public OnnxBertCheckpoint Run()
        {
            var words = Named($"{Embeddings}.word_embeddings.weight", rank: 2);
            int vocab = checked((int)words.Shape[0]), hidden = checked((int)words.Shape[1]);
            var positions = Named($"{Embeddings}.position_embeddings.weight", rank: 2);
            RequireShape($"{Embeddings}.position_embeddings.weight", positions, positions.Shape[0], hidden);
            var types = Named($"{Embeddings}.token_type_embeddings.weight", rank: 2);
            RequireShape($"{Embeddings}.token_type_embeddings.weight", types, types.Shape[0], hidden);
            Add($"{Embeddings}.word_embeddings.weight", words);
            Add($"{Embeddings}.position_embeddings.weight", positions);
            Add($"{Embeddings}.token_type_embeddings.weight", types);
            AddLayerNorm($"{Embeddings}.LayerNorm", hidden);
            // embeddings.position_ids is a buffer (arange), not a parameter; transformers >= 4.31 neither saves nor expects it.
            _usedInitializers.Add($"{Embeddings}.position_ids");

            int layers = CountLayers();
            if (layers == 0)
                throw Missing("encoder.layer.0.attention.self.query.weight", "the graph has no initializer named 'encoder.layer.0.*'");
            int intermediate = -1;
            for (int i = 0; i < layers; i++)
            {
                string p = $"encoder.layer.{i}";
                AddLinear($"{p}.attention.self.query", hidden, hidden);
                AddLinear($"{p}.attention.self.key", hidden, hidden);
                AddLinear($"{p}.attention.self.value", hidden, hidden);
                AddLinear($"{p}.attention.output.dense", hidden, hidden);
                AddLayerNorm($"{p}.attention.output.LayerNorm", hidden);
                var up = AddLinear($"{p}.intermediate.dense", i == 0 ? -1 : intermediate, hidden);
                intermediate = checked((int)up.Shape[0]);
                AddLinear($"{p}.output.dense", hidden, intermediate);
                AddLayerNorm($"{p}.output.LayerNorm", hidden);
            }
            if (graph.TryGetInitializer("pooler.dense.weight", out _) || graph.TryGetInitializer("pooler.dense.bias", out _))
                AddLinear("pooler.dense", hidden, hidden);

            RejectUnmappedWeights();
            var dimensions = new BertDimensions(
                VocabSize: vocab,
                HiddenSize: hidden,
                NumHiddenLayers: layers,
                NumAttentionHeads: AttentionHeads(hidden),
                IntermediateSize: intermediate,
                MaxPositionEmbeddings: checked((int)positions.Shape[0]),
                TypeVocabSize: checked((int)types.Shape[0]),
                LayerNormEps: LayerNormEpsilon($"{Embeddings}.LayerNorm.weight"),
                HiddenAct: HiddenActivation());
            return new OnnxBertCheckpoint(dimensions, _tensors);
        }

        private int CountLayers()
        {
            int count = 0;
            while (graph.Initializers.Any(t => t.Name.StartsWith($"encoder.layer.{count}.", StringComparison.Ordinal)))
                count++;
            return count;
        }

        private void Add(string name, FloatTensorData tensor) => _tensors.Add(new(name, tensor));

        private void AddLayerNorm(string prefix, int hidden)
        {
            foreach (string part in new[] { "weight", "bias" })
            {
                string name = $"{prefix}.{part}";
                var tensor = Named(name, rank: 1);
                RequireShape(name, tensor, hidden);
                Add(name, tensor);
            }
        }

        /// <summary>Adds <c>{prefix}.weight</c> as [out, in] and <c>{prefix}.bias</c>; <paramref name="outFeatures"/> -1 takes it from the weight.</summary>
        private FloatTensorData AddLinear(string prefix, int outFeatures, int inFeatures)
        {
            string weightName = $"{prefix}.weight", biasName = $"{prefix}.bias";
            var weight = LinearWeight(weightName, biasName);
            RequireShape(weightName, weight, outFeatures < 0 ? weight.Shape[0] : outFeatures, inFeatures);
            var bias = Named(biasName, rank: 1);
            RequireShape(biasName, bias, weight.Shape[0]);
            Add(weightName, weight);
            Add(biasName, bias);
            return weight;
        }

        private FloatTensorData LinearWeight(string weightName, string biasName)
        {
            if (graph.TryGetInitializer(weightName, out var named))
            {
                // Kept under its own name: the layout depends on the node that uses it.
                _usedInitializers.Add(weightName);
                var tensor = graph.ReadFloatTensor(named);
                var use = graph.Consumers(weightName).FirstOrDefault();
                return use switch
                {
                    null => tensor,
                    { OpType: "Gemm" } gemm when gemm.Input.Count > 1 && gemm.Input[1] == weightName =>
                        IntAttribute(gemm, "transB", 0) == 1 ? tensor : tensor.Transpose2D(),
                    { OpType: "MatMul" } matMul when matMul.Input[1] == weightName => tensor.Transpose2D(),
                    _ => throw Missing(weightName,
                        $"initializer '{weightName}' is used by {use.OpType} node '{use.Name}', not as the B input of a MatMul or Gemm"),
                };
            }

            if (!graph.TryGetInitializer(biasName, out _))
                throw Missing(weightName, $"there is no initializer '{weightName}', nor '{biasName}' to find the weight from");
            var adds = graph.Consumers(biasName).Where(n => n.OpType == "Add").ToList();
            if (adds.Count != 1)
                throw Missing(weightName, $"'{biasName}' feeds {adds.Count} Add nodes; expected exactly one (bias after MatMul)");
            var add = adds[0];
            string product = add.Input[0] == biasName ? add.Input[1] : add.Input[0];
            var mul = graph.Producer(product);
            if (mul is not { OpType: "MatMul" })
                throw Missing(weightName,
                    $"the Add node '{add.Name}' that adds '{biasName}' is fed by {(mul is null ? "no node" : $"{mul.OpType} node '{mul.Name}'")}, not a MatMul");
            string matrixName = mul.Input[1];
            if (!graph.TryGetInitializer(matrixName, out var matrix))
                throw Missing(weightName, $"the B input '{matrixName}' of MatMul node '{mul.Name}' is not an initializer");
            if (matrix.Dims.Count != 2)
                throw Missing(weightName, $"the B input '{matrixName}' of MatMul node '{mul.Name}' has rank {matrix.Dims.Count}; expected a matrix");
            if (!_usedInitializers.Add(matrixName))
                throw Missing(weightName, $"initializer '{matrixName}' (MatMul node '{mul.Name}') was already mapped to another tensor");
            // MatMul computes x · W with W as [in, out]; torch.nn.Linear stores [out, in].
            return graph.ReadFloatTensor(matrix).Transpose2D();
        }

        private FloatTensorData Named(string name, int rank)
        {
            if (!graph.TryGetInitializer(name, out var tensor))
                throw Missing(name, $"the graph has no initializer named '{name}'");
            if (tensor.Dims.Count != rank)
                throw new InvalidDataException(
                    $"{graph.Source}: ONNX initializer '{name}' has shape [{string.Join(", ", tensor.Dims)}]; expected rank {rank}.");
            _usedInitializers.Add(name);
            return graph.ReadFloatTensor(tensor);
        }

        private void RequireShape(string name, FloatTensorData tensor, params long[] expected)
        {
            if (!tensor.Shape.SequenceEqual(expected))
                throw new InvalidDataException(
                    $"{graph.Source}: Hugging Face tensor '{name}' would have shape {tensor.ShapeText}; expected [{string.Join(", ", expected)}].");
        }

        private void RejectUnmappedWeights()
        {
            // A float matrix nobody claimed means the graph holds more (or other) layers than were mapped:
            // better to refuse than to hand out a silently partial model.
            foreach (var t in graph.Initializers)
            {
                if (t.Dims.Count >= 2 && (TensorProto.Types.DataType)t.DataType == TensorProto.Types.DataType.Float
                    && !_usedInitializers.Contains(t.Name))
                    throw new InvalidDataException(
                        $"{graph.Source}: ONNX initializer '{t.Name}' [{string.Join(", ", t.Dims)}] was not mapped to any Hugging Face BertModel tensor; " +
                        "the graph is not the expected BERT export.");
            }
        }

        /// <summary>The head count from the reshape of layer 0's query projection to [batch, sequence, heads, head_size].</summary>
        private int AttentionHeads(int hidden)
        {
            const string query = "encoder.layer.0.attention.self.query";
            string? projected = null;
            var biasAdd = graph.Consumers($"{query}.bias").FirstOrDefault(n => n.OpType == "Add");
            if (biasAdd is not null)
                projected = biasAdd.Output[0];
            else if (graph.Consumers($"{query}.weight").FirstOrDefault(n => n.OpType == "Gemm") is { } gemm)
                projected = gemm.Output[0];

            var reshape = projected is null ? null : graph.Consumers(projected).FirstOrDefault(n => n.OpType == "Reshape" && n.Input[0] == projected);
            long[]? target = reshape is null ? null : ReshapeTarget(reshape.Input[1]);
            if (target is null || target.Length < 2)
                throw new InvalidDataException(
                    $"{graph.Source}: cannot determine num_attention_heads: the output of '{query}' does not feed a Reshape to " +
                    "[batch, sequence, heads, head_size] with constant heads and head_size.");
            long heads = target[^2], headSize = target[^1];
            if (heads <= 0 || heads * headSize != hidden)
                throw new InvalidDataException(
                    $"{graph.Source}: the attention reshape of '{query}' gives {heads} heads of size {headSize}; their product should be hidden_size {hidden}.");
            return (int)heads;
        }

        /// <summary>The constant trailing dimensions of a Reshape target: a constant, or a Concat of dynamic and constant parts.</summary>
        private long[]? ReshapeTarget(string shapeValue)
        {
            if (graph.ConstantTensor(shapeValue) is { } constant)
                return graph.ReadInt64s(constant);
            if (graph.Producer(shapeValue) is not { OpType: "Concat" } concat || concat.Input.Count < 2)
                return null;
            var tail = new List<long>();
            foreach (string part in concat.Input.TakeLast(2))
            {
                if (graph.ConstantTensor(part) is not { } t)
                    return null;
                tail.AddRange(graph.ReadInt64s(t));
            }
            return [.. tail];
        }

        /// <summary>Epsilon of the LayerNorm whose scale is <paramref name="scaleName"/>: fused, or decomposed as (x - mean) / sqrt(var + eps) * w + b.</summary>
        private double LayerNormEpsilon(string scaleName)
        {
            var use = graph.Consumers(scaleName).FirstOrDefault();
            if (use is { OpType: "LayerNormalization" })
                return FloatAttribute(use, "epsilon", 1e-5f);
            if (use is { OpType: "Mul" })
            {
                string normalized = use.Input[0] == scaleName ? use.Input[1] : use.Input[0];
                if (graph.Producer(normalized) is { OpType: "Div" } div
                    && graph.Producer(div.Input[1]) is { OpType: "Sqrt" } sqrt
                    && graph.Producer(sqrt.Input[0]) is { OpType: "Add" } add)
                {
                    foreach (string input in add.Input)
                    {
                        if (graph.ConstantTensor(input) is { } eps && (TensorProto.Types.DataType)eps.DataType == TensorProto.Types.DataType.Float
                            && graph.ReadFloats(eps) is [float value])
                            return RoundTrip(value);
                    }
                }
            }
            throw new InvalidDataException(
                $"{graph.Source}: cannot determine layer_norm_eps: '{scaleName}' is not used by a LayerNormalization node nor by a " +
                "decomposed LayerNorm (Mul of Div(x - mean, Sqrt(Add(var, eps)))).");
        }

        private string HiddenActivation()
        {
            // BERT's "gelu" is the exact erf form; the tanh approximation ("gelu_new") would show up as Tanh/FastGelu.
            if (graph.Graph.Node.Any(n => n.OpType is "Erf" or "Gelu"))
                return "gelu";
            throw new InvalidDataException(
                $"{graph.Source}: cannot determine hidden_act: the graph has no Erf or Gelu node (expected BERT's exact GELU).");
        }

        private InvalidDataException Missing(string huggingFaceName, string why) =>
            new($"{graph.Source}: cannot find Hugging Face tensor '{huggingFaceName}' in the ONNX graph: {why}.");

        private static long IntAttribute(NodeProto node, string name, long fallback) =>
            node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

        private static double FloatAttribute(NodeProto node, string name, float fallback) =>
            RoundTrip(node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback);

        /// <summary>The shortest double that prints like the float32 (1e-12f → 1e-12, not 9.9999999600419720e-13).</summary>
        private static double RoundTrip(float value) =>
            double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
