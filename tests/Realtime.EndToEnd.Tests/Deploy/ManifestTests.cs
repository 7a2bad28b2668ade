using System.Diagnostics;
using System.Globalization;
using Realtime.EndToEnd.Tests.Cluster;
using YamlDotNet.RepresentationModel;

namespace Realtime.EndToEnd.Tests.Deploy;

/// <summary>
/// The deployment kit (deploy/): every Kubernetes manifest is validated against the API schema of its kind (npm
/// kubernetes-models, offline), then parsed and the fields that make replicas drain and scale correctly are checked
/// against each other and against the server's own settings; the container build and the HAProxy template too.
/// </summary>
public sealed class ManifestTests
{
    private static readonly string Kubernetes = Path.Combine(Repo.Root, "deploy", "kubernetes");

    [Fact]
    public async Task Every_manifest_is_valid_against_the_Kubernetes_schema_of_its_kind()
    {
        (int exit, string output) = await ValidateAsync(Kubernetes);
        Assert.True(exit == 0, output);
        foreach (string kind in new[] { "apps/v1 Deployment", "v1 Service", "policy/v1 PodDisruptionBudget", "autoscaling/v2 HorizontalPodAutoscaler" })
        {
            Assert.Contains($"{kind} realtime-fast: valid", output, StringComparison.Ordinal);
        }

        // Kustomize's own file is not an API object: it has no schema, and is checked by the tests below.
        Assert.Contains("Kustomization: no schema", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_schema_check_refuses_a_manifest_with_a_wrong_type()
    {
        // The same deployment with a string where the schema wants an integer: the validator must say so.
        string broken = Directory.CreateTempSubdirectory("manifests").FullName;
        try
        {
            string deployment = await File.ReadAllTextAsync(Path.Combine(Kubernetes, "deployment.yaml"), TestContext.Current.CancellationToken);
            Assert.Contains("terminationGracePeriodSeconds: ", deployment, StringComparison.Ordinal);
            await File.WriteAllTextAsync(
                Path.Combine(broken, "deployment.yaml"),
                System.Text.RegularExpressions.Regex.Replace(deployment, "terminationGracePeriodSeconds: \\d+", "terminationGracePeriodSeconds: \"forty\""),
                TestContext.Current.CancellationToken);
            (int exit, string output) = await ValidateAsync(broken);
            Assert.Equal(1, exit);
            Assert.Contains("INVALID data/spec/template/spec/terminationGracePeriodSeconds must be integer", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }

    private static Task<(int ExitCode, string Output)> ValidateAsync(string directory) =>
        NodeScript.RunAsync("validate-manifests.mjs", "", "", TimeSpan.FromMinutes(1), directory);

    [Fact]
    public void Every_manifest_parses_and_names_its_kind()
    {
        string[] files = Directory.GetFiles(Kubernetes, "*.yaml");
        Assert.NotEmpty(files);
        var kinds = new List<string>();
        foreach (string file in files)
        {
            foreach (YamlMappingNode doc in Load(file))
            {
                Assert.False(string.IsNullOrEmpty(Text(doc, "apiVersion")), file);
                kinds.Add(Text(doc, "kind"));
                if (Text(doc, "kind") != "Kustomization")
                {
                    Assert.False(string.IsNullOrEmpty(Text(doc, "metadata.name")), file);
                }
            }
        }

        Assert.Equal(["Deployment", "HorizontalPodAutoscaler", "Kustomization", "PodDisruptionBudget", "Service"], kinds.Order());
        // The kustomization lists every other manifest.
        YamlMappingNode kustomization = Single("Kustomization");
        Assert.Equal(files.Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order(), Items(kustomization, "resources").Select(n => ((YamlScalarNode)n).Value!).Order());
    }

    [Fact]
    public void The_deployment_probes_readiness_and_liveness_and_outlasts_its_drain()
    {
        YamlMappingNode deployment = Single("Deployment");
        YamlMappingNode container = (YamlMappingNode)Items(deployment, "spec.template.spec.containers")[0];
        string portName = Text((YamlMappingNode)Items(container, "ports")[0], "name");
        int port = int.Parse(Text((YamlMappingNode)Items(container, "ports")[0], "containerPort"), CultureInfo.InvariantCulture);

        Assert.Equal("/readyz", Text(container, "readinessProbe.httpGet.path"));
        Assert.Equal(portName, Text(container, "readinessProbe.httpGet.port"));
        Assert.Equal("/healthz", Text(container, "livenessProbe.httpGet.path"));
        Assert.Equal(portName, Text(container, "livenessProbe.httpGet.port"));

        // SIGTERM comes after preStop; then sessions have the drain grace to finish their response. The pod must
        // not be killed before both are over.
        YamlSequenceNode preStop = (YamlSequenceNode)Node(container, "lifecycle.preStop.exec.command");
        Assert.Equal("sleep", ((YamlScalarNode)preStop[0]).Value);
        double preStopSeconds = double.Parse(((YamlScalarNode)preStop[1]).Value!, CultureInfo.InvariantCulture);
        double grace = double.Parse(Env(container, "Realtime__Limits__DrainGracePeriodSeconds"), CultureInfo.InvariantCulture);
        double termination = double.Parse(Text(deployment, "spec.template.spec.terminationGracePeriodSeconds"), CultureInfo.InvariantCulture);
        Assert.True(termination > preStopSeconds + grace, $"terminationGracePeriodSeconds {termination} <= preStop {preStopSeconds} + drain grace {grace}");
        // ... and the host's own shutdown timeout (30 s) must leave the drain its grace.
        Assert.True(grace < 30, "drain grace must stay under the host's 30 s shutdown timeout");
        Assert.Equal("0", Text(deployment, "spec.strategy.rollingUpdate.maxUnavailable"));

        // Prometheus scrapes the container's port at /metrics.
        Assert.Equal("true", Text(deployment, "spec.template.metadata.annotations.prometheus\\.io/scrape"));
        Assert.Equal(port.ToString(CultureInfo.InvariantCulture), Text(deployment, "spec.template.metadata.annotations.prometheus\\.io/port"));
        Assert.Equal("/metrics", Text(deployment, "spec.template.metadata.annotations.prometheus\\.io/path"));
        Assert.Equal(Text(deployment, "spec.selector.matchLabels.app\\.kubernetes\\.io/name"), Text(deployment, "spec.template.metadata.labels.app\\.kubernetes\\.io/name"));
    }

    [Fact]
    public void Memory_requests_cover_the_sessions_the_autoscaler_lets_a_replica_hold()
    {
        YamlMappingNode container = (YamlMappingNode)Items(Single("Deployment"), "spec.template.spec.containers")[0];
        double request = Mebibytes(Text(container, "resources.requests.memory"));
        double limit = Mebibytes(Text(container, "resources.limits.memory"));
        Assert.False(string.IsNullOrEmpty(Text(container, "resources.requests.cpu")));

        YamlMappingNode hpa = Single("HorizontalPodAutoscaler");
        YamlMappingNode sessions = Items(hpa, "spec.metrics").Cast<YamlMappingNode>().Single(m => Text(m, "type") == "Pods");
        Assert.Equal("realtime_sessions_open", Text(sessions, "pods.metric.name"));
        double target = double.Parse(Text(sessions, "pods.target.averageValue"), CultureInfo.InvariantCulture);

        // Measured (README, Scale-out): ~200 MB at rest with the built-in engines, up to 1.5 MB per speaking session.
        Assert.True(request >= 200 + 1.5 * target, $"memory request {request} Mi < 200 + 1.5 x {target} sessions");
        // The hard cap on sessions must fit under the limit too, every one of them speaking.
        double maxSessions = double.Parse(Env(container, "Realtime__Limits__MaxConcurrentSessions"), CultureInfo.InvariantCulture);
        Assert.True(limit >= 200 + 1.5 * maxSessions, $"memory limit {limit} Mi < 200 + 1.5 x {maxSessions} sessions");
        Assert.True(maxSessions > target, "the autoscaler target must be reached before replicas refuse sessions");
        Assert.Equal(Text(Single("Deployment"), "metadata.name"), Text(hpa, "spec.scaleTargetRef.name"));
    }

    [Fact]
    public void Service_and_disruption_budget_select_the_pods_and_their_port()
    {
        YamlMappingNode deployment = Single("Deployment");
        string app = Text(deployment, "spec.template.metadata.labels.app\\.kubernetes\\.io/name");
        YamlMappingNode container = (YamlMappingNode)Items(deployment, "spec.template.spec.containers")[0];

        YamlMappingNode service = Single("Service");
        Assert.Equal(app, Text(service, "spec.selector.app\\.kubernetes\\.io/name"));
        Assert.Equal(Text((YamlMappingNode)Items(container, "ports")[0], "name"), Text((YamlMappingNode)Items(service, "spec.ports")[0], "targetPort"));

        YamlMappingNode pdb = Single("PodDisruptionBudget");
        Assert.Equal(app, Text(pdb, "spec.selector.matchLabels.app\\.kubernetes\\.io/name"));
        int replicas = int.Parse(Text(deployment, "spec.replicas"), CultureInfo.InvariantCulture);
        int minReplicas = int.Parse(Text(Single("HorizontalPodAutoscaler"), "spec.minReplicas"), CultureInfo.InvariantCulture);
        Assert.InRange(int.Parse(Text(pdb, "spec.maxUnavailable"), CultureInfo.InvariantCulture), 1, Math.Min(replicas, minReplicas) - 1);
    }

    [Fact]
    public void The_image_is_the_NativeAOT_binary_on_bookworm_slim_with_the_speech_libraries_and_models()
    {
        string[] lines = File.ReadAllLines(Path.Combine(Repo.Root, "deploy", "Dockerfile"));
        string[] from = [.. lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal))];
        Assert.Equal("FROM debian:bookworm-slim", from[^1]);
        string text = string.Join('\n', lines);
        Assert.Contains("dotnet publish src/Realtime.Host -c Release -r linux-x64", text, StringComparison.Ordinal);
        // The packages the built-in engines load (scripts/setup.sh installs the same ones).
        string setup = File.ReadAllText(Path.Combine(Repo.Root, "scripts", "setup.sh"));
        foreach (string package in new[] { "libpocketsphinx3", "libsphinxbase3", "pocketsphinx-en-us", "libespeak-ng1", "espeak-ng-data" })
        {
            Assert.Contains(package, setup, StringComparison.Ordinal);
            Assert.Contains(package, text, StringComparison.Ordinal);
        }

        Assert.Contains("silero_vad_v5.onnx", text, StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /out/models /app/models", text, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/app/realtime-fast\"", text, StringComparison.Ordinal);
        Assert.Contains("EXPOSE 8080", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_HAProxy_template_filled_in_is_a_valid_configuration()
    {
        string template = File.ReadAllText(Path.Combine(Repo.Root, "deploy", "haproxy", "haproxy.cfg"));
        string config = LoopbackCluster.Configure(template, "127.0.0.1:18080", "127.0.0.1:18081", [("r1", 18082), ("r2", 18083)]);
        Assert.DoesNotContain("{{", config, StringComparison.Ordinal);
        Assert.Contains("balance leastconn", config, StringComparison.Ordinal);
        Assert.Contains("option httpchk GET /readyz", config, StringComparison.Ordinal);
        string file = Path.Combine(Path.GetTempPath(), $"haproxy-check-{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(file, config, TestContext.Current.CancellationToken);
        try
        {
            using Process check = Process.Start(new ProcessStartInfo("/usr/sbin/haproxy", ["-c", "-f", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string output = await check.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken) + await check.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await check.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(check.ExitCode == 0, output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static List<YamlMappingNode> Load(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode))];
    }

    private static YamlMappingNode Single(string kind) =>
        Assert.Single(Directory.GetFiles(Kubernetes, "*.yaml").SelectMany(Load), d => Text(d, "kind") == kind);

    /// <summary>The node at a dotted path (`\.` for a dot inside a key, as in annotation names).</summary>
    private static YamlNode Node(YamlMappingNode root, string path)
    {
        YamlNode node = root;
        foreach (string key in path.Replace("\\.", "\u0001", StringComparison.Ordinal).Split('.'))
        {
            YamlMappingNode map = Assert.IsType<YamlMappingNode>(node);
            string name = key.Replace('\u0001', '.');
            Assert.True(map.Children.TryGetValue(new YamlScalarNode(name), out YamlNode? child), $"no '{name}' in {path}");
            node = child!;
        }

        return node;
    }

    private static string Text(YamlMappingNode root, string path) => Assert.IsType<YamlScalarNode>(Node(root, path)).Value ?? string.Empty;

    private static YamlSequenceNode Items(YamlMappingNode root, string path) => Assert.IsType<YamlSequenceNode>(Node(root, path));

    private static string Env(YamlMappingNode container, string name) =>
        Text(Items(container, "env").Cast<YamlMappingNode>().Single(e => Text(e, "name") == name), "value");

    private static double Mebibytes(string quantity) => quantity switch
    {
        _ when quantity.EndsWith("Gi", StringComparison.Ordinal) => double.Parse(quantity[..^2], CultureInfo.InvariantCulture) * 1024,
        _ when quantity.EndsWith("Mi", StringComparison.Ordinal) => double.Parse(quantity[..^2], CultureInfo.InvariantCulture),
        _ => throw new FormatException("memory quantity in Mi or Gi expected: " + quantity),
    };
}
