// Java's own consumer-group failover helper reading what strait wrote, for the offset tests
// (tests/offsets_translation.rs):
//
//   javac -cp "$KAFKA_LIB/*" -d CLASSES Translate.java
//   java -Dlog4j2.configurationFile=LOG4J2 -cp "CLASSES:$KAFKA_LIB/*" Translate BOOTSTRAP REMOTE_ALIAS GROUP
//
// Calls RemoteClusterUtils.translateOffsets against the cluster at BOOTSTRAP (it reads
// <REMOTE_ALIAS>.checkpoints.internal there) and prints "<topic> <partition> <offset>" per
// partition, sorted.
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public class Translate {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Translate BOOTSTRAP REMOTE_ALIAS GROUP");
            System.exit(64);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", args[0]);
        Map<TopicPartition, OffsetAndMetadata> translated =
            RemoteClusterUtils.translateOffsets(props, args[1], args[2], Duration.ofSeconds(60));
        TreeSet<String> lines = new TreeSet<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : translated.entrySet()) {
            lines.add(e.getKey().topic() + " " + e.getKey().partition() + " " + e.getValue().offset());
        }
        for (String line : lines) {
            System.out.println(line);
        }
    }
}
