<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AlarmBanner</name>
    <message>
        <source>1 point beyond its limits — alarm handling not yet active</source>
        <translation>1 个点位超出报警限值 — 报警处理尚未启用</translation>
    </message>
    <message>
        <source>{count} points beyond their limits — alarm handling not yet active</source>
        <translation>{count} 个点位超出报警限值 — 报警处理尚未启用</translation>
    </message>
    <message>
        <source>All active alarms are acknowledged</source>
        <translation>当前报警均已确认</translation>
    </message>
    <message>
        <source>No active alarms</source>
        <translation>无活动报警</translation>
    </message>
    <message>
        <source>Active alarms: {count}</source>
        <translation>活动报警：{count}</translation>
    </message>
</context>
<context>
    <name>AlarmDetail</name>
    <message>
        <source>state</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>复位</translation>
    </message>
    <message>
        <source>Note…</source>
        <translation>备注…</translation>
    </message>
    <message>
        <source>Shelve…</source>
        <translation>搁置…</translation>
    </message>
    <message>
        <source>Unshelve</source>
        <translation>取消搁置</translation>
    </message>
    <message>
        <source>Out of service…</source>
        <translation>停用…</translation>
    </message>
    <message>
        <source>Return to service</source>
        <translation>恢复使用</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>No alarm selected</source>
        <translation>未选择报警</translation>
    </message>
    <message>
        <source>State: {state}</source>
        <translation>状态：{state}</translation>
    </message>
    <message>
        <source>Priority: {priority}</source>
        <translation>优先级：{priority}</translation>
    </message>
    <message>
        <source>Category: {category}</source>
        <translation>类别：{category}</translation>
    </message>
    <message>
        <source>Raised: {time}</source>
        <translation>发生：{time}</translation>
    </message>
    <message>
        <source>Value: {value}</source>
        <translation>数值：{value}</translation>
    </message>
    <message>
        <source>Acknowledged by {name}</source>
        <translation>确认人：{name}</translation>
    </message>
    <message>
        <source>Shelved until {time}</source>
        <translation>搁置至 {time}</translation>
    </message>
    <message>
        <source>Not recorded: the journal is unavailable</source>
        <translation>未记录：报警日志不可用</translation>
    </message>
    <message>
        <source>Chattering</source>
        <translation>频繁抖动</translation>
    </message>
</context>
<context>
    <name>AlarmTableModel</name>
    <message>
        <source>fire</source>
        <translation>火警</translation>
    </message>
    <message>
        <source>pre-alarm</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>supervisory</source>
        <translation>监管</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>urgent</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>high</source>
        <translation>高</translation>
    </message>
    <message>
        <source>medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>returned, unacknowledged</source>
        <translation>已恢复，未确认</translation>
    </message>
    <message>
        <source>latched, needs reset</source>
        <translation>已锁存，需复位</translation>
    </message>
    <message>
        <source>shelved</source>
        <translation>已搁置</translation>
    </message>
    <message>
        <source>suppressed</source>
        <translation>已抑制</translation>
    </message>
    <message>
        <source>out of service</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>楼栋</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>Acknowledged by</source>
        <translation>确认人</translation>
    </message>
</context>
<context>
    <name>AlarmsPage</name>
    <message>
        <source>fire</source>
        <translation>火警</translation>
    </message>
    <message>
        <source>pre-alarm</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>supervisory</source>
        <translation>监管</translation>
    </message>
    <message>
        <source>fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>urgent</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>high</source>
        <translation>高</translation>
    </message>
    <message>
        <source>medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>unacknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>returned, unacknowledged</source>
        <translation>已恢复，未确认</translation>
    </message>
    <message>
        <source>latched, needs reset</source>
        <translation>已锁存，需复位</translation>
    </message>
    <message>
        <source>shelved</source>
        <translation>已搁置</translation>
    </message>
    <message>
        <source>suppressed</source>
        <translation>已抑制</translation>
    </message>
    <message>
        <source>out of service</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>Alarm actions need the alarm journal (no database is open).</source>
        <translation>报警操作需要报警日志（未打开数据库）。</translation>
    </message>
    <message>
        <source>Nobody is signed in.</source>
        <translation>没有用户登录。</translation>
    </message>
    <message>
        <source>Working: {what}…</source>
        <translation>正在执行：{what}…</translation>
    </message>
    <message>
        <source>Refused: {reason}</source>
        <translation>被拒绝：{reason}</translation>
    </message>
    <message>
        <source>Nothing selected needs acknowledgement.</source>
        <translation>所选报警均无需确认。</translation>
    </message>
    <message>
        <source>acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Acknowledged {count}.</source>
        <translation>已确认 {count} 条。</translation>
    </message>
    <message>
        <source>No alarm shown needs acknowledgement.</source>
        <translation>显示的报警均无需确认。</translation>
    </message>
    <message>
        <source>acknowledge all shown</source>
        <translation>确认全部显示的报警</translation>
    </message>
    <message>
        <source>silence</source>
        <translation>消音</translation>
    </message>
    <message>
        <source>Silenced.</source>
        <translation>已消音。</translation>
    </message>
    <message>
        <source>Nothing selected is latched and waiting for a reset.</source>
        <translation>所选报警中没有等待复位的锁存报警。</translation>
    </message>
    <message>
        <source>reset</source>
        <translation>复位</translation>
    </message>
    <message>
        <source>Reset {count}.</source>
        <translation>已复位 {count} 条。</translation>
    </message>
    <message>
        <source>Note on the alarm</source>
        <translation>报警备注</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>备注：</translation>
    </message>
    <message>
        <source>note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Note added.</source>
        <translation>已添加备注。</translation>
    </message>
    <message>
        <source>Shelve the alarm</source>
        <translation>搁置报警</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>shelve</source>
        <translation>搁置</translation>
    </message>
    <message>
        <source>Shelved for {minutes} min.</source>
        <translation>已搁置 {minutes} 分钟。</translation>
    </message>
    <message>
        <source>unshelve</source>
        <translation>取消搁置</translation>
    </message>
    <message>
        <source>Unshelved.</source>
        <translation>已取消搁置。</translation>
    </message>
    <message>
        <source>Take the alarm out of service</source>
        <translation>停用报警</translation>
    </message>
    <message>
        <source>Out of service.</source>
        <translation>已停用。</translation>
    </message>
    <message>
        <source>return to service</source>
        <translation>恢复使用</translation>
    </message>
    <message>
        <source>Returned to service.</source>
        <translation>已恢复使用。</translation>
    </message>
    <message>
        <source>until returned</source>
        <translation>直至恢复</translation>
    </message>
    <message>
        <source>The end of the range must be after its start.</source>
        <translation>结束时间必须晚于开始时间。</translation>
    </message>
    <message>
        <source>Reading the journal…</source>
        <translation>正在读取报警日志…</translation>
    </message>
    <message>
        <source>The journal could not be read: {error}</source>
        <translation>无法读取报警日志：{error}</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>操作位置</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>对象</translation>
    </message>
    <message>
        <source>Alarm ID</source>
        <translation>报警编号</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Filter user, position, action, target or details</source>
        <translation>按用户、位置、操作、对象或详情筛选</translation>
    </message>
    <message>
        <source>{shown} of {loaded} operator actions shown.</source>
        <translation>已显示 {loaded} 条操作记录中的 {shown} 条。</translation>
    </message>
    <message>
        <source> More after these: press Next 500.</source>
        <translation> 之后还有记录：请按“后 500 条”。</translation>
    </message>
    <message>
        <source>{shown} of {loaded} transitions shown.</source>
        <translation>已显示 {loaded} 条状态变化中的 {shown} 条。</translation>
    </message>
    <message>
        <source>Export the alarm history</source>
        <translation>导出报警历史</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>{count} operator actions written to {path}</source>
        <translation>已将 {count} 条操作记录写入 {path}</translation>
    </message>
    <message>
        <source>{count} transitions written to {path}</source>
        <translation>已将 {count} 条状态变化写入 {path}</translation>
    </message>
    <message>
        <source>The export failed: {error}</source>
        <translation>导出失败：{error}</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>当前报警</translation>
    </message>
    <message>
        <source>Shelved and out of service</source>
        <translation>搁置与停用</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Search source or message</source>
        <translation>搜索来源或信息</translation>
    </message>
    <message>
        <source>No grouping</source>
        <translation>不分组</translation>
    </message>
    <message>
        <source>By building</source>
        <translation>按楼栋</translation>
    </message>
    <message>
        <source>By cause</source>
        <translation>按原因</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Acknowledge all shown</source>
        <translation>确认全部显示的</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>消音</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>复位</translation>
    </message>
    <message>
        <source>Create incident…</source>
        <translation>创建事件…</translation>
    </message>
    <message>
        <source>Open an incident holding the selected alarms</source>
        <translation>用所选报警创建一个事件</translation>
    </message>
    <message>
        <source>Enter or Space</source>
        <translation>回车或空格</translation>
    </message>
    <message>
        <source>Ctrl+Shift+A</source>
        <translation>Ctrl+Shift+A</translation>
    </message>
    <message>
        <source>S</source>
        <translation>S</translation>
    </message>
    <message>
        <source>R</source>
        <translation>R</translation>
    </message>
    <message>
        <source>Shelved and out-of-service alarms are not announced. Each is listed here with its expiry.</source>
        <translation>搁置和停用的报警不会发声提示。每条都列在这里，并注明到期时间。</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>楼栋</translation>
    </message>
    <message>
        <source>All buildings</source>
        <translation>全部楼栋</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <source>All priorities</source>
        <translation>全部优先级</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Group the list (a flood groups it by building)</source>
        <translation>列表分组（报警泛滥时按楼栋分组）</translation>
    </message>
    <message>
        <source>Until</source>
        <translation>截至</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>从：</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>到：</translation>
    </message>
    <message>
        <source>Filter alarm, state, user or note</source>
        <translation>按报警、状态、用户或备注筛选</translation>
    </message>
    <message>
        <source>State changes</source>
        <translation>状态变化</translation>
    </message>
    <message>
        <source>Operator actions</source>
        <translation>操作记录</translation>
    </message>
    <message>
        <source>What the history pages through</source>
        <translation>历史记录翻阅的内容</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Next 500</source>
        <translation>后 500 条</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>From</source>
        <translation>原状态</translation>
    </message>
    <message>
        <source>To</source>
        <translation>新状态</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>BinaryLamp</name>
    <message>
        <source>clear</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>smoke</source>
        <translation>烟雾</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>operated</source>
        <translation>已动作</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>heat</source>
        <translation>高温</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关</translation>
    </message>
    <message>
        <source>on</source>
        <translation>开</translation>
    </message>
</context>
<context>
    <name>BuildingList</name>
    <message>
        <source>{count} abnormal</source>
        <translation>{count} 项异常</translation>
    </message>
</context>
<context>
    <name>CameraTree</name>
    <message>
        <source>Other cameras</source>
        <translation>其他摄像机</translation>
    </message>
    <message>
        <source>Find a camera (name or id)</source>
        <translation>查找摄像机（名称或编号）</translation>
    </message>
</context>
<context>
    <name>CameraWallPage</name>
    <message>
        <source>Snapshot: no camera on the selected tile.</source>
        <translation>截图：所选画面上没有摄像机。</translation>
    </message>
    <message>
        <source>snapshots need the database and a signed-in operator</source>
        <translation>截图需要数据库和已登录的操作员</translation>
    </message>
    <message>
        <source>no picture from this camera yet</source>
        <translation>该摄像机尚无画面</translation>
    </message>
    <message>
        <source>Saving a snapshot of {camera}…</source>
        <translation>正在保存 {camera} 的截图…</translation>
    </message>
    <message>
        <source>Switched off in the site file.</source>
        <translation>站点文件中已停用。</translation>
    </message>
    <message>
        <source>Layout “{name}” saved.</source>
        <translation>布局“{name}”已保存。</translation>
    </message>
    <message>
        <source>Layout “{name}” deleted.</source>
        <translation>布局“{name}”已删除。</translation>
    </message>
    <message>
        <source>Layouts: {error}</source>
        <translation>布局：{error}</translation>
    </message>
    <message>
        <source>Snapshot saved: {path}</source>
        <translation>截图已保存：{path}</translation>
    </message>
    <message>
        <source>Snapshot not saved: {why}</source>
        <translation>截图未保存：{why}</translation>
    </message>
    <message>
        <source>Save layout</source>
        <translation>保存布局</translation>
    </message>
    <message>
        <source>Name of this layout:</source>
        <translation>布局名称：</translation>
    </message>
    <message>
        <source>All cameras</source>
        <translation>全部摄像机</translation>
    </message>
    <message>
        <source>Overlays</source>
        <translation>叠加显示</translation>
    </message>
    <message>
        <source>Overlays {shown}/{total}</source>
        <translation>叠加显示 {shown}/{total}</translation>
    </message>
    <message>
        <source>Page {page} of {count}</source>
        <translation>第 {page} 页，共 {count} 页</translation>
    </message>
    <message>
        <source>Previous page (PgUp)</source>
        <translation>上一页（PgUp）</translation>
    </message>
    <message>
        <source>Next page (PgDown)</source>
        <translation>下一页（PgDown）</translation>
    </message>
    <message>
        <source>Tour:</source>
        <translation>轮巡：</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Show the next page every so many seconds</source>
        <translation>每隔若干秒显示下一页</translation>
    </message>
    <message>
        <source>Layout of the tiles</source>
        <translation>画面布局</translation>
    </message>
    <message>
        <source>What is drawn over the pictures</source>
        <translation>画面上叠加显示的内容</translation>
    </message>
    <message>
        <source>People</source>
        <translation>人员</translation>
    </message>
    <message>
        <source>Vehicles</source>
        <translation>车辆</translation>
    </message>
    <message>
        <source>Two-wheelers</source>
        <translation>两轮车</translation>
    </message>
    <message>
        <source>Plates</source>
        <translation>车牌</translation>
    </message>
    <message>
        <source>Face outlines</source>
        <translation>人脸框</translation>
    </message>
    <message>
        <source>Zones and lines</source>
        <translation>区域和警戒线</translation>
    </message>
    <message>
        <source>Blurred faces stay blurred</source>
        <translation>已模糊的人脸保持模糊</translation>
    </message>
    <message>
        <source>Save layout…</source>
        <translation>保存布局…</translation>
    </message>
    <message>
        <source>Delete layout</source>
        <translation>删除布局</translation>
    </message>
    <message>
        <source>This site has no cameras.</source>
        <translation>本场所没有摄像机。</translation>
    </message>
</context>
<context>
    <name>CreateAdminDialog</name>
    <message>
        <source>Enter a user name for the administrator.</source>
        <translation>请输入管理员的用户名。</translation>
    </message>
    <message>
        <source>The password must have at least {count} characters.</source>
        <translation>密码至少需要 {count} 个字符。</translation>
    </message>
    <message>
        <source>The two passwords differ. Type the same password twice.</source>
        <translation>两次输入的密码不一致，请输入相同的密码。</translation>
    </message>
    <message>
        <source>Wardroom — create the administrator</source>
        <translation>Wardroom — 创建管理员</translation>
    </message>
    <message>
        <source>{site} has no administrator yet. Create one now: the administrator adds the other users (duty officers, supervisors, records clerks).</source>
        <translation>{site} 还没有管理员。请现在创建一个：由管理员添加其他用户（值班员、主管、档案员）。</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <source>Repeat password:</source>
        <translation>再次输入密码：</translation>
    </message>
    <message>
        <source>Create administrator</source>
        <translation>创建管理员</translation>
    </message>
</context>
<context>
    <name>DrillPanel</name>
    <message>
        <source>Asking the station that owns the simulator…</source>
        <translation>正在请求运行该模拟器的工作站…</translation>
    </message>
    <message>
        <source>Asking the simulator…</source>
        <translation>正在询问模拟器…</translation>
    </message>
    <message>
        <source>Tripped {point} on the simulator at {where}.</source>
        <translation>已在 {where} 的模拟器上触发 {point}。</translation>
    </message>
    <message>
        <source>Restored {point} on the simulator at {where}.</source>
        <translation>已在 {where} 的模拟器上恢复 {point}。</translation>
    </message>
    <message>
        <source>Station {station} tripped {point}.</source>
        <translation>工作站 {station} 已触发 {point}。</translation>
    </message>
    <message>
        <source>Station {station} restored {point}.</source>
        <translation>工作站 {station} 已复位 {point}。</translation>
    </message>
    <message>
        <source>The drill did not run: {error}</source>
        <translation>演练未执行：{error}</translation>
    </message>
    <message>
        <source>tripped</source>
        <translation>已触发</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>turns on</source>
        <translation>变为接通</translation>
    </message>
    <message>
        <source>turns off</source>
        <translation>变为断开</translation>
    </message>
    <message>
        <source>falls to {value}</source>
        <translation>降至 {value}</translation>
    </message>
    <message>
        <source>rises to {value}</source>
        <translation>升至 {value}</translation>
    </message>
    <message>
        <source>Demo drills</source>
        <translation>演示演练</translation>
    </message>
    <message>
        <source>Drills</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>This site has no simulated PLC, so there is nothing to drill.</source>
        <translation>本站点没有模拟 PLC，无可演练的点位。</translation>
    </message>
    <message>
        <source>Only a supervisor or an administrator may run drills; you are signed in as {role}.</source>
        <translation>只有主管或管理员可以进行演练；您当前的登录角色是 {role}。</translation>
    </message>
    <message>
        <source>In the demo anyone may run drills. A drill changes only the simulated PLC&apos;s values (a sprinkler opens, a detector sees smoke), never a real plant; watch it on the Sensors page.</source>
        <translation>演示中任何人都可以进行演练。演练只改变模拟 PLC 的数值（如喷淋头开启、探测器检测到烟雾），绝不影响真实设备；请在“传感器”页面观察。</translation>
    </message>
    <message>
        <source>A drill changes only the simulated PLC&apos;s values, never a real plant; watch it on the Sensors page. Drills are logged with your name.</source>
        <translation>演练只改变模拟 PLC 的数值，绝不影响真实设备；请在“传感器”页面观察。演练会连同您的姓名记入日志。</translation>
    </message>
    <message>
        <source>On this console a drill is a request: the station that runs the simulator carries it out, and the drill state is not read here.</source>
        <translation>在本控制台上，演练是一项请求：由运行该模拟器的工作站执行，此处不读取演练状态。</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>点位</translation>
    </message>
    <message>
        <source>When tripped, it…</source>
        <translation>触发后…</translation>
    </message>
    <message>
        <source>Drill state</source>
        <translation>演练状态</translation>
    </message>
    <message>
        <source>Trip</source>
        <translation>触发</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
</context>
<context>
    <name>EditResidentDialog</name>
    <message>
        <source>Edit resident {name}</source>
        <translation>编辑居民 {name}</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Gender (男/女)</source>
        <translation>性别（男/女）</translation>
    </message>
    <message>
        <source>Birth date (2024-05-01)</source>
        <translation>出生日期（2024-05-01）</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>联系电话</translation>
    </message>
    <message>
        <source>Registration (户籍/流动)</source>
        <translation>户籍类型（户籍/流动）</translation>
    </message>
    <message>
        <source>Tags (separated by ;)</source>
        <translation>标签（以 ; 分隔）</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
</context>
<context>
    <name>ErrorReporter</name>
    <message>
        <source>Wardroom — unexpected error</source>
        <translation>Wardroom — 意外错误</translation>
    </message>
    <message>
        <source>Something went wrong inside Wardroom. It has been written to the log; the details are below.</source>
        <translation>Wardroom 内部出现错误。错误已写入日志，详细信息见下方。</translation>
    </message>
</context>
<context>
    <name>FloodNotice</name>
    <message>
        <source>Alarm flood: {count} new alarms in 10 minutes</source>
        <translation>报警泛滥：10 分钟内新增 {count} 条报警</translation>
    </message>
</context>
<context>
    <name>GaugeBase</name>
    <message>
        <source>{quality} · never read</source>
        <translation>{quality} · 从未读取</translation>
    </message>
    <message>
        <source>{quality} · last {age} ago</source>
        <translation>{quality} · 上次于 {age} 前</translation>
    </message>
    <message>
        <source>bad address</source>
        <translation>地址错误</translation>
    </message>
    <message>
        <source>good</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>comm-fail</source>
        <translation>通信故障</translation>
    </message>
    <message>
        <source>stale</source>
        <translation>数据陈旧</translation>
    </message>
    <message>
        <source>out of range</source>
        <translation>超出量程</translation>
    </message>
    <message>
        <source>never read</source>
        <translation>从未读取</translation>
    </message>
    <message>
        <source>comm</source>
        <comment>short for comm-fail</comment>
        <translation>通信</translation>
    </message>
    <message>
        <source>high-high</source>
        <translation>高高</translation>
    </message>
    <message>
        <source>high</source>
        <translation>高</translation>
    </message>
    <message>
        <source>low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>low-low</source>
        <translation>低低</translation>
    </message>
    <message>
        <source>HH</source>
        <comment>limit mark: high-high</comment>
        <translation>HH</translation>
    </message>
    <message>
        <source>H</source>
        <comment>limit mark: high</comment>
        <translation>H</translation>
    </message>
    <message>
        <source>L</source>
        <comment>limit mark: low</comment>
        <translation>L</translation>
    </message>
    <message>
        <source>LL</source>
        <comment>limit mark: low-low</comment>
        <translation>LL</translation>
    </message>
    <message>
        <source>s</source>
        <comment>age unit: seconds</comment>
        <translation>秒</translation>
    </message>
    <message>
        <source>min</source>
        <comment>age unit: minutes</comment>
        <translation>分</translation>
    </message>
    <message>
        <source>h</source>
        <comment>age unit: hours</comment>
        <translation>小时</translation>
    </message>
    <message>
        <source>d</source>
        <comment>age unit: days</comment>
        <translation>天</translation>
    </message>
    <message>
        <source>{quality} · was {value}, {age} ago</source>
        <translation>{quality} · 原为{value}，{age}前</translation>
    </message>
    <message>
        <source>{quality} {age}</source>
        <translation>{quality} {age}</translation>
    </message>
    <message>
        <source>in alarm</source>
        <translation>报警中</translation>
    </message>
    <message>
        <source>{limit} alarm</source>
        <translation>{limit} 报警</translation>
    </message>
</context>
<context>
    <name>GaugeGrid</name>
    <message>
        <source>This building has no sensors.</source>
        <translation>该楼栋没有传感器。</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import records</source>
        <translation>导入档案</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>detect</source>
        <translation>自动识别</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Encoding</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>Column in the file</source>
        <translation>文件中的列</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>行</translation>
    </message>
    <message>
        <source>Column</source>
        <translation>列</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Column mapping</source>
        <translation>列对应</translation>
    </message>
    <message>
        <source>First rows</source>
        <translation>前几行</translation>
    </message>
    <message>
        <source>Choose a file</source>
        <translation>选择文件</translation>
    </message>
    <message>
        <source>Spreadsheets (*.csv *.xlsx)</source>
        <translation>表格文件 (*.csv *.xlsx)</translation>
    </message>
    <message>
        <source>Reading the file…</source>
        <translation>正在读取文件…</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <source>(ignore)</source>
        <translation>（忽略）</translation>
    </message>
    <message>
        <source>Required fields without a column: {what}</source>
        <translation>以下必填字段没有对应的列：{what}</translation>
    </message>
    <message>
        <source>{count} rows previewed ({what}); ready to import.</source>
        <translation>已预览 {count} 行（{what}），可以导入。</translation>
    </message>
    <message>
        <source>{count} of {total} rows imported; {error} refused.</source>
        <translation>共 {total} 行，已导入 {count} 行，拒绝 {error} 行。</translation>
    </message>
</context>
<context>
    <name>IncidentsPage</name>
    <message>
        <source>Incidents need the database (none is open).</source>
        <translation>事件需要数据库（当前未打开）。</translation>
    </message>
    <message>
        <source>Status: {status} · priority: {priority} · building: {building} · opened {at} by {by} · duty team: {team}</source>
        <translation>状态：{status} · 优先级：{priority} · 楼栋：{building} · 由 {by} 于 {at} 创建 · 值班组：{team}</translation>
    </message>
    <message>
        <source>Incidents need the database and a signed-in operator.</source>
        <translation>事件需要数据库和已登录的操作员。</translation>
    </message>
    <message>
        <source>Incident {id} created.</source>
        <translation>事件 {id} 已创建。</translation>
    </message>
    <message>
        <source>Create incident</source>
        <translation>创建事件</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>标题：</translation>
    </message>
    <message>
        <source>Close as a false alarm</source>
        <translation>作为误报关闭</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>Incident {id} is now {status}.</source>
        <translation>事件 {id} 当前状态：{status}。</translation>
    </message>
    <message>
        <source>Note added.</source>
        <translation>已添加备注。</translation>
    </message>
    <message>
        <source>Incident {id} is assigned to {team}.</source>
        <translation>事件 {id} 已指派给 {team}。</translation>
    </message>
    <message>
        <source>Snapshot {id} attached.</source>
        <translation>快照 {id} 已附加。</translation>
    </message>
    <message>
        <source>Type the snapshot&apos;s number (shown on the camera wall after a snapshot).</source>
        <translation>请输入快照编号（拍摄快照后显示在视频墙上）。</translation>
    </message>
    <message>
        <source>Reports need the database and a signed-in operator.</source>
        <translation>报告需要数据库和已登录的操作员。</translation>
    </message>
    <message>
        <source>Writing {path}…</source>
        <translation>正在写入 {path}…</translation>
    </message>
    <message>
        <source>Save the report as PDF</source>
        <translation>将报告保存为 PDF</translation>
    </message>
    <message>
        <source>Report {id} saved to {path} ({pages} pages); it verifies with &apos;wardroom report verify&apos;.</source>
        <translation>报告 {id} 已保存到 {path}（{pages} 页），可用 &apos;wardroom report verify&apos; 校验。</translation>
    </message>
    <message>
        <source>Refused: {reason}</source>
        <translation>被拒绝：{reason}</translation>
    </message>
    <message>
        <source>Incidents &amp; reports</source>
        <translation>事件与报告</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Period reports</source>
        <translation>时段报告</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>楼栋</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>开始处理</translation>
    </message>
    <message>
        <source>On hold</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <source>A note for the record</source>
        <translation>记录一条备注</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>添加备注</translation>
    </message>
    <message>
        <source>Snapshots:</source>
        <translation>快照：</translation>
    </message>
    <message>
        <source>snapshot #</source>
        <translation>快照编号</translation>
    </message>
    <message>
        <source>Attach</source>
        <translation>附加</translation>
    </message>
    <message>
        <source>Duty team:</source>
        <translation>值班组：</translation>
    </message>
    <message>
        <source>team name</source>
        <translation>值班组名称</translation>
    </message>
    <message>
        <source>Assign</source>
        <translation>指派</translation>
    </message>
    <message>
        <source>Print preview…</source>
        <translation>打印预览…</translation>
    </message>
    <message>
        <source>Save PDF…</source>
        <translation>保存 PDF…</translation>
    </message>
    <message>
        <source>Unmasked, because:</source>
        <translation>不遮挡，原因：</translation>
    </message>
    <message>
        <source>reason (audited)</source>
        <translation>原因（将记入审计）</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Enter your user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <source>Wardroom — sign in</source>
        <translation>Wardroom — 登录</translation>
    </message>
    <message>
        <source>Sign in to the control room of {site}.</source>
        <translation>登录 {site} 的控制室。</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>The station could not start: {error}</source>
        <translation>站点服务无法启动：{error}</translation>
    </message>
    <message>
        <source>Wardroom</source>
        <translation>Wardroom</translation>
    </message>
    <message>
        <source>{live} of {total} live</source>
        <translation>{total} 路中 {live} 路在线</translation>
    </message>
    <message>
        <source>… and {count} more</source>
        <translation>……另有 {count} 路</translation>
    </message>
    <message>
        <source>no sound device</source>
        <translation>无声音设备</translation>
    </message>
    <message>
        <source>Station {name} silent since {time}: its points are shown stale.</source>
        <translation>工作站 {name} 自 {time} 起无响应：其点位显示为数据陈旧。</translation>
    </message>
    <message>
        <source>Service failed: {what}</source>
        <translation>服务故障：{what}</translation>
    </message>
    <message>
        <source>Wardroom — {site}</source>
        <translation>Wardroom — {site}</translation>
    </message>
    <message>
        <source>console</source>
        <translation>控制台</translation>
    </message>
    <message>
        <source>DEMO</source>
        <translation>演示</translation>
    </message>
    <message>
        <source>Demonstration site: simulated PLC and cameras, its own database, automatic sign-in.</source>
        <translation>演示场所：模拟的 PLC 和摄像机，独立的数据库，自动登录。</translation>
    </message>
    <message>
        <source>PLCs:</source>
        <translation>PLC：</translation>
    </message>
    <message>
        <source>Cameras:</source>
        <translation>摄像机：</translation>
    </message>
    <message>
        <source>Camera wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>档案</translation>
    </message>
    <message>
        <source>Incidents &amp; reports</source>
        <translation>事件与报告</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
</context>
<context>
    <name>MapPage</name>
    <message>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <source>This page will show the buildings and floor plans of the site with the cameras, sensors and active alarms in their places, so an alarm can be located at a glance.</source>
        <translation>本页将显示场所的建筑和楼层平面图，并在图上标出摄像机、传感器和活动报警的位置，使报警位置一目了然。</translation>
    </message>
</context>
<context>
    <name>PlcStateLabel</name>
    <message>
        <source>{plc}: polling, connected</source>
        <translation>{plc}：正在轮询，已连接</translation>
    </message>
    <message>
        <source>{plc}: comm-fail — {reason}</source>
        <translation>{plc}：通信故障 — {reason}</translation>
    </message>
    <message>
        <source>{plc}: not polled — {reason}</source>
        <translation>{plc}：未轮询 — {reason}</translation>
    </message>
    <message>
        <source>{plc}: not polled yet</source>
        <translation>{plc}：尚未轮询</translation>
    </message>
</context>
<context>
    <name>ReasonDialog</name>
    <message>
        <source>Minutes:</source>
        <translation>分钟：</translation>
    </message>
</context>
<context>
    <name>RecordsPage</name>
    <message>
        <source>Records</source>
        <translation>档案</translation>
    </message>
    <message>
        <source>This page will hold the ward&apos;s records: residents and households, volunteers and their service hours, elderly care, employment support, duty rosters, and registered vehicles and e-bikes. Every view and export of personal data will be audited.</source>
        <translation>本页将管理社区档案：居民与家庭、志愿者及其服务时长、养老服务、就业帮扶、值班排班，以及登记的机动车和电动自行车。对个人信息的每次查看和导出都会记入审计日志。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在查询…</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Gender</source>
        <translation>性别</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>年龄</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>楼栋</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>房号</translation>
    </message>
    <message>
        <source>Household</source>
        <translation>户号</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>联系电话</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Last visit</source>
        <translation>最近探访</translation>
    </message>
    <message>
        <source>Interval (days)</source>
        <translation>间隔（天）</translation>
    </message>
    <message>
        <source>Days overdue</source>
        <translation>逾期天数</translation>
    </message>
    <message>
        <source>Skills</source>
        <translation>技能</translation>
    </message>
    <message>
        <source>Joined</source>
        <translation>加入日期</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>在册</translation>
    </message>
    <message>
        <source>Volunteer</source>
        <translation>志愿者</translation>
    </message>
    <message>
        <source>Project</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Hours</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>已审核</translation>
    </message>
    <message>
        <source>Plate</source>
        <translation>车牌</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>车主</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <source>Resident</source>
        <translation>居民</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Visitor</source>
        <translation>探访人</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Follow-up due</source>
        <translation>跟进期限</translation>
    </message>
    <message>
        <source>Born</source>
        <translation>出生日期</translation>
    </message>
    <message>
        <source>Registration</source>
        <translation>户籍类型</translation>
    </message>
    <message>
        <source>Moved in</source>
        <translation>入住日期</translation>
    </message>
    <message>
        <source>Moved out</source>
        <translation>迁出日期</translation>
    </message>
    <message>
        <source>Household members</source>
        <translation>同户成员</translation>
    </message>
    <message>
        <source>Vehicles</source>
        <translation>车辆</translation>
    </message>
    <message>
        <source>Visit every (days)</source>
        <translation>探访周期（天）</translation>
    </message>
    <message>
        <source>Care records</source>
        <translation>关爱记录</translation>
    </message>
    <message>
        <source>Employment</source>
        <translation>就业</translation>
    </message>
    <message>
        <source>Resident no.</source>
        <translation>居民编号</translation>
    </message>
    <message>
        <source>Owner no.</source>
        <translation>车主编号</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Activity</source>
        <translation>活动</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>跟进事项</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Employer</source>
        <translation>用人单位</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>岗位</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>结束</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>队伍</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>队员</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>职责</translation>
    </message>
    <message>
        <source>From</source>
        <translation>起</translation>
    </message>
    <message>
        <source>To</source>
        <translation>止</translation>
    </message>
    <message>
        <source>Residents</source>
        <translation>居民</translation>
    </message>
    <message>
        <source>Aged 60+</source>
        <translation>60岁以上</translation>
    </message>
    <message>
        <source>Overdue visits</source>
        <translation>逾期未探访</translation>
    </message>
    <message>
        <source>Volunteers</source>
        <translation>志愿者</translation>
    </message>
    <message>
        <source>Service hours</source>
        <translation>服务时长</translation>
    </message>
    <message>
        <source>Care visits</source>
        <translation>关爱探访</translation>
    </message>
    <message>
        <source>On duty now</source>
        <translation>当前值班</translation>
    </message>
    <message>
        <source>Search by name, pinyin or initials (zw finds 张伟)</source>
        <translation>按姓名、拼音或首字母搜索（zw 可找到 张伟）</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <source>Approve hours</source>
        <translation>审核时长</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>全部标签</translation>
    </message>
    <message>
        <source>{count} residents</source>
        <translation>{count} 位居民</translation>
    </message>
    <message>
        <source>Employment rate this year: {value} ({count} employed, {total} seeking)</source>
        <translation>今年就业率：{value}（就业 {count} 人，求职 {total} 人）</translation>
    </message>
    <message>
        <source>{count}+ shown</source>
        <translation>已显示 {count}+ 条</translation>
    </message>
    <message>
        <source>{count} shown</source>
        <translation>已显示 {count} 条</translation>
    </message>
    <message>
        <source>Could not read the records: {error}</source>
        <translation>无法读取档案：{error}</translation>
    </message>
    <message>
        <source>Export records</source>
        <translation>导出档案</translation>
    </message>
    <message>
        <source>Spreadsheets (*.xlsx *.csv)</source>
        <translation>表格文件 (*.xlsx *.csv)</translation>
    </message>
    <message>
        <source>{count} rows exported to {where}</source>
        <translation>已导出 {count} 行到 {where}</translation>
    </message>
</context>
<context>
    <name>ReportsPanel</name>
    <message>
        <source>The period must end after it starts.</source>
        <translation>结束时间必须晚于开始时间。</translation>
    </message>
    <message>
        <source>Writing {path}…</source>
        <translation>正在写入 {path}…</translation>
    </message>
    <message>
        <source>Save the report as PDF</source>
        <translation>将报告保存为 PDF</translation>
    </message>
    <message>
        <source>Shift report</source>
        <translation>交接班报告</translation>
    </message>
    <message>
        <source>Alarm journal</source>
        <translation>报警日志</translation>
    </message>
    <message>
        <source>Monthly summary</source>
        <translation>月度汇总</translation>
    </message>
    <message>
        <source>Report:</source>
        <translation>报告：</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>从：</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>到：</translation>
    </message>
    <message>
        <source>Month:</source>
        <translation>月份：</translation>
    </message>
    <message>
        <source>Print preview…</source>
        <translation>打印预览…</translation>
    </message>
    <message>
        <source>Save PDF…</source>
        <translation>保存 PDF…</translation>
    </message>
    <message>
        <source>Times are the site&apos;s. Every saved PDF carries a report id in its footer and its SHA-256 is recorded in the audit log, so &apos;wardroom report verify FILE.pdf&apos; can tell an altered copy.</source>
        <translation>时间为站点时间。每份保存的 PDF 页脚都有报告编号，其 SHA-256 记入审计日志，&apos;wardroom report verify FILE.pdf&apos; 可识别被改动的副本。</translation>
    </message>
</context>
<context>
    <name>Roles</name>
    <message>
        <source>duty officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>主管</translation>
    </message>
    <message>
        <source>records clerk</source>
        <translation>档案员</translation>
    </message>
    <message>
        <source>administrator</source>
        <translation>管理员</translation>
    </message>
</context>
<context>
    <name>SensorsPage</name>
    <message>
        <source>No building</source>
        <translation>未归属建筑</translation>
    </message>
    <message>
        <source>Abnormal points in {count} of {total} buildings.</source>
        <translation>{total} 栋楼中 {count} 栋有异常点位。</translation>
    </message>
    <message>
        <source>All {total} buildings normal.</source>
        <translation>全部 {total} 栋楼正常。</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Click a gauge for its trend. A gauge is marked in alarm while the alarm engine holds one of its limit alarms open (not shelved or out of service); without the alarm journal it is a plain comparison with the limits.</source>
        <translation>点击仪表查看趋势。当报警引擎中该点的某个限值报警处于打开状态（未搁置、未停用）时，仪表标为报警；没有报警日志时，则只是与限值的简单比较。</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Interface language:</source>
        <translation>界面语言：</translation>
    </message>
    <message>
        <source>The change applies at once and is remembered on this computer.</source>
        <translation>更改立即生效，并保存在本机上。</translation>
    </message>
    <message>
        <source>This station</source>
        <translation>本工作站</translation>
    </message>
    <message>
        <source>Site file:</source>
        <translation>场所文件：</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>数据库：</translation>
    </message>
    <message>
        <source>Signed in as:</source>
        <translation>当前用户：</translation>
    </message>
    <message>
        <source>Role:</source>
        <translation>角色：</translation>
    </message>
</context>
<context>
    <name>Startup</name>
    <message>
        <source>Wardroom — previous crash</source>
        <translation>Wardroom — 上次崩溃</translation>
    </message>
    <message>
        <source>Wardroom stopped unexpectedly the last time it ran. The report below was saved in the log folder; please pass it on to your technician.</source>
        <translation>Wardroom 上次运行时意外停止。下方的报告已保存在日志文件夹中，请转交给技术人员。</translation>
    </message>
    <message>
        <source>Wardroom — site file</source>
        <translation>Wardroom — 场所文件</translation>
    </message>
    <message>
        <source>Wardroom — database</source>
        <translation>Wardroom — 数据库</translation>
    </message>
</context>
<context>
    <name>StatusLamp</name>
    <message>
        <source>not yet checked</source>
        <translation>尚未检测</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>disconnected</source>
        <translation>已断开</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>live</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>stalled</source>
        <translation>停滞</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
</context>
<context>
    <name>TrendPanel</name>
    <message>
        <source>Loading history…</source>
        <translation>正在读取历史数据…</translation>
    </message>
    <message>
        <source>History could not be read: {error}</source>
        <translation>无法读取历史数据：{error}</translation>
    </message>
    <message>
        <source>No database: live values only.</source>
        <translation>没有数据库：仅显示实时数值。</translation>
    </message>
    <message>
        <source>History: min–max band and average per {seconds} s.</source>
        <translation>历史：每 {seconds} 秒的最小–最大带和平均值。</translation>
    </message>
    <message>
        <source>History: stored samples ({count}).</source>
        <translation>历史：已存储的样本（{count} 个）。</translation>
    </message>
    <message>
        <source>Close trend</source>
        <translation>关闭趋势图</translation>
    </message>
</context>
<context>
    <name>TrendPlot</name>
    <message>
        <source>HH</source>
        <comment>limit mark: high-high</comment>
        <translation>HH</translation>
    </message>
    <message>
        <source>H</source>
        <comment>limit mark: high</comment>
        <translation>H</translation>
    </message>
    <message>
        <source>L</source>
        <comment>limit mark: low</comment>
        <translation>L</translation>
    </message>
    <message>
        <source>LL</source>
        <comment>limit mark: low-low</comment>
        <translation>LL</translation>
    </message>
    <message>
        <source>{count} d</source>
        <comment>trend window in days</comment>
        <translation>{count} 天</translation>
    </message>
    <message>
        <source>{count} h</source>
        <comment>trend window in hours</comment>
        <translation>{count} 小时</translation>
    </message>
    <message>
        <source>{count} min</source>
        <comment>trend window in minutes</comment>
        <translation>{count} 分钟</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>{fps} fps</source>
        <translation>{fps} 帧/秒</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>stalled</source>
        <translation>停滞</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>中断</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>stalled {age}</source>
        <translation>停滞 {age}</translation>
    </message>
    <message>
        <source>Drop a camera here</source>
        <translation>将摄像机拖到此处</translation>
    </message>
    <message>
        <source>No new picture</source>
        <translation>无新画面</translation>
    </message>
    <message>
        <source>No new picture for {age}</source>
        <translation>{age} 无新画面</translation>
    </message>
    <message>
        <source>Camera disabled</source>
        <translation>摄像机已停用</translation>
    </message>
    <message>
        <source>No signal</source>
        <translation>无信号</translation>
    </message>
    <message>
        <source>Stream unusable</source>
        <translation>视频流不可用</translation>
    </message>
    <message>
        <source>Snapshot</source>
        <translation>截图</translation>
    </message>
    <message>
        <source>Snapshot: save this picture (S)</source>
        <translation>抓拍：保存此画面 (S)</translation>
    </message>
    <message>
        <source>Waiting for video…</source>
        <translation>正在等待视频…</translation>
    </message>
</context>
<context>
    <name>WallOverlay</name>
    <message>
        <source>person</source>
        <translation>人员</translation>
    </message>
    <message>
        <source>car</source>
        <translation>轿车</translation>
    </message>
    <message>
        <source>truck</source>
        <translation>货车</translation>
    </message>
    <message>
        <source>bus</source>
        <translation>客车</translation>
    </message>
    <message>
        <source>motorcycle</source>
        <translation>摩托车</translation>
    </message>
    <message>
        <source>bicycle</source>
        <translation>自行车</translation>
    </message>
    <message>
        <source>plate</source>
        <translation>车牌</translation>
    </message>
</context>
<context>
    <name>_CredentialsDialog</name>
    <message>
        <source>The check could not be done: {error}</source>
        <translation>无法完成校验：{error}</translation>
    </message>
</context>
</TS>
