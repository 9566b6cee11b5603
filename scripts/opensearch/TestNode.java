import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Starts real OpenSearch nodes in one JVM for Moisson's tests (run by scripts/opensearch.sh).
 *
 * Arguments: basePath httpPort nodes clusterName readyFile. Node i listens on
 * 127.0.0.1:httpPort+i-1 (HTTP). Writes readyFile once the cluster is yellow, then runs until
 * killed (SIGTERM closes the nodes through the runner's shutdown hook). Any startup failure prints its stack trace and
 * exits 1: the runner's own main() exits 1 silently. Creating the file basePath/stop-N stops
 * node N alone (failure tests); the others keep running.
 */
public class TestNode {
    public static void main(String[] args) throws Exception {
        String basePath = args[0];
        int httpPort = Integer.parseInt(args[1]);
        int nodes = Integer.parseInt(args[2]);
        String clusterName = args[3];
        String readyFile = args[4];
        OpenSearchRunner runner = new OpenSearchRunner();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        runner.setMaxHttpPort(httpPort + nodes + 10);
        try {
            runner.onBuild((number, settings) -> {
                settings.put("network.host", "127.0.0.1");
                settings.put("http.port", String.valueOf(httpPort + number - 1));
                // The test machine's disk may be fuller than OpenSearch's defaults allow.
                settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
                settings.put("action.auto_create_index", "false");
            }).build(OpenSearchRunner.newConfigs()
                .basePath(basePath)
                .numOfNode(nodes)
                .baseHttpPort(httpPort - 1)
                .clusterName(clusterName)
                .printOnFailure());
            runner.ensureYellow();
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1);
        }
        // Log4j owns System.out once nodes run (it lands in a node's log): signal with a file.
        java.nio.file.Files.writeString(java.nio.file.Path.of(readyFile), "READY\n");
        // Failure tests stop one node by creating the file basePath/stop-N (N from 1).
        java.util.Set<Integer> stopped = new java.util.HashSet<>();
        while (!runner.isClosed()) {
            for (int i = 1; i <= nodes; i++) {
                java.io.File request = new java.io.File(basePath, "stop-" + i);
                if (!stopped.contains(i) && request.exists()) {
                    runner.getNode(i - 1).close();
                    stopped.add(i);
                }
            }
            Thread.sleep(200);
        }
    }
}
